/* newlib system calls over Arm semihosting, for test programs on QEMU's MPS2 boards
 * (mps2-an385, mps2-an386, mps2-an500, mps2-an505) and mps3-an547: every Cortex-M target.
 *
 * QEMU (-semihosting-config enable=on,target=native) implements the calls on the host:
 * stdout and stderr are the host console ":tt", and the exit status of the program becomes
 * the exit status of qemu-system-arm through SYS_EXIT_EXTENDED (plain SYS_EXIT can only
 * say "success" or "failure" on a 32-bit target). */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#define SYS_OPEN 0x01
#define SYS_WRITE0 0x04
#define SYS_WRITE 0x05
#define SYS_EXIT 0x18
#define SYS_EXIT_EXTENDED 0x20
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u
#define ADP_STOPPED_RUNTIME_ERROR_UNKNOWN 0x20023u
#define OPEN_MODE_W 4u /* fopen "w": ":tt" opened for writing is stdout */
#define OPEN_MODE_A 8u /* fopen "a": ":tt" opened for appending is stderr */

/* The exit status of a program that faults (see tinyc_fault_report). */
#define FAULT_EXIT_STATUS 99

static int semihost_call(int op, const void *arg)
{
    register int r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    /* BKPT 0xAB is the M-profile semihosting trap */
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* Host handles of stdout (fd 1) and stderr (fd 2), opened on first use; -1 until then. */
static int console_handle[3] = {-1, -1, -1};

static int console(int fd)
{
    if (console_handle[fd] < 0) {
        uint32_t args[3] = {(uint32_t)(uintptr_t) ":tt", fd == 1 ? OPEN_MODE_W : OPEN_MODE_A, 3u};
        console_handle[fd] = semihost_call(SYS_OPEN, args);
    }
    return console_handle[fd];
}

int _write(int fd, const char *buf, int len)
{
    uint32_t args[3];
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    args[0] = (uint32_t)console(fd);
    args[1] = (uint32_t)(uintptr_t)buf;
    args[2] = (uint32_t)len;
    /* SYS_WRITE returns the number of bytes it did not write */
    return len - semihost_call(SYS_WRITE, args);
}

int _read(int fd, char *buf, int len)
{
    (void)fd;
    (void)buf;
    (void)len;
    return 0; /* test programs take no input: always end of file */
}

int _close(int fd)
{
    (void)fd;
    return 0;
}

int _lseek(int fd, int offset, int whence)
{
    (void)fd;
    (void)offset;
    (void)whence;
    return 0;
}

int _isatty(int fd)
{
    return fd >= 0 && fd <= 2;
}

int _fstat(int fd, struct stat *st)
{
    (void)fd;
    st->st_mode = S_IFCHR; /* a character device: newlib line-buffers it */
    return 0;
}

int _getpid(void)
{
    return 1;
}

int _kill(int pid, int sig)
{
    (void)pid;
    (void)sig;
    errno = EINVAL;
    return -1;
}

__attribute__((noreturn)) void _exit(int status)
{
    uint32_t args[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)status};
    semihost_call(SYS_EXIT_EXTENDED, args);
    /* a host without the extended call: at least report success or failure */
    semihost_call(SYS_EXIT, (const void *)(uintptr_t)(status == 0 ? ADP_STOPPED_APPLICATION_EXIT
                                                                  : ADP_STOPPED_RUNTIME_ERROR_UNKNOWN));
    for (;;) {
    }
}

/* The heap (newlib's malloc, used by stdio) grows from the end of .bss up to the stack
 * reserve; both bounds come from the linker script. */
extern char __heap_start[];
extern char __heap_end[];

void *_sbrk(ptrdiff_t increment)
{
    static char *brk = __heap_start;
    char *previous = brk;
    if (increment > __heap_end - brk || increment < __heap_start - brk) {
        errno = ENOMEM;
        return (void *)-1;
    }
    brk += increment;
    return previous;
}

/* ---- fault reporting ---- */

static void put_text(char *out, size_t *at, const char *s)
{
    while (*s)
        out[(*at)++] = *s++;
}

static void put_hex(char *out, size_t *at, uint32_t v)
{
    int shift;
    put_text(out, at, "0x");
    for (shift = 28; shift >= 0; shift -= 4)
        out[(*at)++] = "0123456789abcdef"[(v >> shift) & 0xfu];
}

/* The fault status registers of ARMv7-M and ARMv8-M Mainline. armv6-m programs (cortex-m0plus)
 * run on mps2-an385's Cortex-M3, which has them too. */
#define SCB_CFSR (*(volatile uint32_t *)0xE000ED28u)
#define SCB_HFSR (*(volatile uint32_t *)0xE000ED2Cu)
#define SCB_MMFAR (*(volatile uint32_t *)0xE000ED34u)
#define SCB_BFAR (*(volatile uint32_t *)0xE000ED38u)

/* Called by Fault_Handler (startup.S) with the exception's stacked frame
 * (r0-r3, r12, lr, pc, xpsr) and its number. It formats without stdio, which may be what
 * broke, writes with SYS_WRITE0 and exits with FAULT_EXIT_STATUS. */
__attribute__((noreturn, used)) void tinyc_fault_report(const uint32_t *frame, uint32_t exception)
{
    static const char *const names[16] = {"", "reset", "NMI", "HardFault", "MemManage", "BusFault",
                                           "UsageFault", "7", "8", "9", "10", "SVCall", "DebugMonitor",
                                           "13", "PendSV", "SysTick"};
    char text[256];
    size_t at = 0;
    put_text(text, &at, "*** FAULT: ");
    put_text(text, &at, exception < 16 ? names[exception] : "interrupt");
    put_text(text, &at, " exception ");
    put_hex(text, &at, exception);
    put_text(text, &at, "\n    pc=");
    put_hex(text, &at, frame[6]);
    put_text(text, &at, " lr=");
    put_hex(text, &at, frame[5]);
    put_text(text, &at, " xpsr=");
    put_hex(text, &at, frame[7]);
    put_text(text, &at, "\n    cfsr=");
    put_hex(text, &at, SCB_CFSR);
    put_text(text, &at, " hfsr=");
    put_hex(text, &at, SCB_HFSR);
    put_text(text, &at, " mmfar=");
    put_hex(text, &at, SCB_MMFAR);
    put_text(text, &at, " bfar=");
    put_hex(text, &at, SCB_BFAR);
    put_text(text, &at, "\n");
    text[at] = '\0';
    semihost_call(SYS_WRITE0, text);
    _exit(FAULT_EXIT_STATUS);
}
