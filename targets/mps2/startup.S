/* Reset and exception entry for test programs on QEMU's MPS2 and MPS3 boards (every Cortex-M
 * target: mps2-an385, mps2-an386, mps2-an500, mps2-an505, mps3-an547).
 *
 * QEMU loads the ELF and takes the initial SP and PC from the vector table at VTOR's reset
 * value (0 on the MPS2 boards, 0x10000000 on the TrustZone board mps2-an505, where the core
 * starts in the secure state; 0 again on mps3-an547, also secure). The reset handler is
 * written in assembly because the FPU must be enabled before any compiled code runs:
 * compilers use VFP registers for plain copies (on the Cortex-M55 the same CP10/CP11 enable
 * MVE, which lives in the FP registers).
 *
 * The code is the Thumb subset of ARMv6-M, so that the same file assembles for
 * cortex-m0plus; what only ARMv7-M/ARMv8-M Mainline have is under #if (gcc 12 defines
 * __ARM_ARCH_8M_MAIN__ for armv8.1-m.main too, clang __ARM_ARCH_8_1M_MAIN__). */
    .syntax unified
    .thumb

    .section .vectors, "a", %progbits
    .align 8                      /* VTOR needs the table (48 words) aligned to 256 bytes */
    .global tinyc_vectors
tinyc_vectors:
    .word __stack_top             /* 0: initial main stack pointer */
    .word Reset_Handler           /* 1: reset */
    .rept 14                      /* 2-15: NMI, HardFault, MemManage, BusFault, UsageFault,
                                     SecureFault, SVCall, DebugMon, PendSV, SysTick: none of
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
#if defined(__ARM_FP)
    /* CPACR (0xE000ED88): full access to CP10 and CP11, the FPU */
    ldr   r0, =0xE000ED88
    ldr   r1, [r0]
    ldr   r2, =(0xF << 20)
    orrs  r1, r2
    str   r1, [r0]
#endif
#if __ARM_ARCH_7M__ || __ARM_ARCH_7EM__ || __ARM_ARCH_8M_MAIN__ || __ARM_ARCH_8_1M_MAIN__
    /* SHCSR (0xE000ED24): enable the MemManage, BusFault and UsageFault exceptions, so a
     * fault is reported as what it is instead of escalating to HardFault (ARMv6-M has
     * HardFault only) */
    ldr   r0, =0xE000ED24
    ldr   r1, [r0]
    ldr   r2, =(7 << 16)
    orrs  r1, r2
    str   r1, [r0]
#endif
    dsb
    isb
    /* copy .data from its load address in flash */
    ldr   r0, =__data_load
    ldr   r1, =__data_start
    ldr   r2, =__data_end
1:  cmp   r1, r2
    bhs   2f
    ldr   r3, [r0]
    str   r3, [r1]
    adds  r0, #4
    adds  r1, #4
    b     1b
    /* zero .bss */
2:  ldr   r1, =__bss_start
    ldr   r2, =__bss_end
    movs  r3, #0
3:  cmp   r1, r2
    bhs   4f
    str   r3, [r1]
    adds  r1, #4
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
    movs  r0, #4
    mov   r1, lr
    tst   r0, r1
    bne   1f
    mrs   r0, msp
    b     2f
1:  mrs   r0, psp
2:  mrs   r1, ipsr
    ldr   r2, =tinyc_fault_report
    bx    r2
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
