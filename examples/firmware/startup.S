/* Vector table and reset handler for an ARMv7E-M core with an FPU (here the Cortex-M7 of
 * QEMU's mps2-an500). Assembly because the FPU must be on before any C code runs: compilers
 * use the FPU's registers even for plain copies. */
    .syntax unified
    .thumb

    .section .vectors, "a", %progbits
    .align 8                          /* VTOR needs the table aligned to its size */
    .word __stack_top                 /* initial stack pointer */
    .word Reset_Handler
    .rept 14                          /* NMI, faults, SVCall, PendSV, SysTick: none expected */
    .word Fault_Handler
    .endr

    .text
    .thumb_func
    .global Reset_Handler
    .type Reset_Handler, %function
Reset_Handler:
    ldr   r0, =0xE000ED88             /* CPACR: full access to CP10 and CP11, the FPU */
    ldr   r1, [r0]
    orr   r1, r1, #(0xF << 20)
    str   r1, [r0]
    dsb
    isb
    ldr   r0, =__data_load            /* copy .data from flash */
    ldr   r1, =__data_start
    ldr   r2, =__data_end
1:  cmp   r1, r2
    bhs   2f
    ldr   r3, [r0], #4
    str   r3, [r1], #4
    b     1b
2:  ldr   r1, =__bss_start            /* zero .bss (the arena lives there) */
    ldr   r2, =__bss_end
    movs  r3, #0
3:  cmp   r1, r2
    bhs   4f
    str   r3, [r1], #4
    b     3b
4:  bl    __libc_init_array
    bl    main
    bl    exit                        /* flushes stdout; semihosting ends the program */
5:  b     5b
    .size Reset_Handler, . - Reset_Handler

    .thumb_func
    .type Fault_Handler, %function
Fault_Handler:
    movs  r0, #1
    bl    _exit
    .size Fault_Handler, . - Fault_Handler

    /* newlib's __libc_init_array and __libc_fini_array call _init and _fini; -nostartfiles
     * leaves out the crti.o that defines them */
    .thumb_func
    .weak _init
    .type _init, %function
_init:
    bx    lr
    .size _init, . - _init

    .thumb_func
    .weak _fini
    .type _fini, %function
_fini:
    bx    lr
    .size _fini, . - _fini
