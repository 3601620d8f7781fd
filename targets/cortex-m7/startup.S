/* Reset and exception entry for test programs on QEMU's mps2-an500 (Cortex-M7).
 *
 * QEMU loads the ELF and takes the initial SP and PC from the vector table at address 0
 * (VTOR resets to 0). The reset handler is written in assembly because the FPU must be
 * enabled before any compiled code runs: compilers use VFP registers for plain copies. */
    .syntax unified
    .thumb

    .section .vectors, "a", %progbits
    .align 8                      /* VTOR needs the table (48 words) aligned to 256 bytes */
    .global tinyc_vectors
tinyc_vectors:
    .word __stack_top             /* 0: initial main stack pointer */
    .word Reset_Handler           /* 1: reset */
    .rept 14                      /* 2-15: NMI, HardFault, MemManage, BusFault, UsageFault,
                                     reserved, SVCall, DebugMon, PendSV, SysTick: none of
                                     them is expected, so all of them report and stop */
    .word Fault_Handler
    .endr
    .rept 32                      /* external interrupts: never enabled */
    .word Fault_Handler
    .endr

    .text

    .thumb_func
    .global Reset_Handler
    .type Reset_Handler, %function
Reset_Handler:
    /* CPACR (0xE000ED88): full access to CP10 and CP11, the FPU */
    ldr   r0, =0xE000ED88
    ldr   r1, [r0]
    orr   r1, r1, #(0xF << 20)
    str   r1, [r0]
    /* SHCSR (0xE000ED24): enable the MemManage, BusFault and UsageFault exceptions, so a
     * fault is reported as what it is instead of escalating to HardFault */
    ldr   r0, =0xE000ED24
    ldr   r1, [r0]
    orr   r1, r1, #(7 << 16)
    str   r1, [r0]
    dsb
    isb
    /* copy .data from its load address in flash */
    ldr   r0, =__data_load
    ldr   r1, =__data_start
    ldr   r2, =__data_end
1:  cmp   r1, r2
    bhs   2f
    ldr   r3, [r0], #4
    str   r3, [r1], #4
    b     1b
    /* zero .bss */
2:  ldr   r1, =__bss_start
    ldr   r2, =__bss_end
    movs  r3, #0
3:  cmp   r1, r2
    bhs   4f
    str   r3, [r1], #4
    b     3b
    /* newlib's static constructors (its stdio setup among them), then the program */
4:  bl    __libc_init_array
    movs  r0, #0
    movs  r1, #0
    bl    main
    bl    exit                    /* flushes stdio, then _exit: semihosting exit code */
5:  b     5b
    .size Reset_Handler, . - Reset_Handler

    /* Every unexpected exception: hand the stacked frame (from whichever stack was active,
     * EXC_RETURN bit 2) and the exception number to the C reporter, which exits with 99. */
    .thumb_func
    .global Fault_Handler
    .type Fault_Handler, %function
Fault_Handler:
    tst   lr, #4
    ite   eq
    mrseq r0, msp
    mrsne r0, psp
    mrs   r1, ipsr
    b     tinyc_fault_report
    .size Fault_Handler, . - Fault_Handler

    /* __libc_init_array calls _init; -nostartfiles leaves out crti.o, which defines it */
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
