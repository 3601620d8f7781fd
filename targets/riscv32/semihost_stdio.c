/* stdin, stdout and stderr for picolibc over RISC-V semihosting, for test programs on QEMU virt.
 *
 * picolibc's own semihosting streams (libsemihost's iob.c) send every character with one
 * SYS_WRITEC trap, which QEMU prints to its stderr, or, with a chardev, to a console that
 * silently drops output once the reading pipe is full. These streams instead open the host
 * console ":tt" (mode "w" is host stdout, mode "a" host stderr) and send whole lines with
 * SYS_WRITE, which QEMU writes with blocking I/O: stdout reaches the host's stdout complete.
 * Defining the three stream objects here keeps the linker from pulling libsemihost's. */
#include <semihost.h>
#include <stdio.h>

#define LINE_BYTES 256

struct console_stream {
    FILE file; /* first, so that a FILE * is also a struct console_stream * */
    int mode;  /* SH_OPEN_W: host stdout, SH_OPEN_A: host stderr */
    int handle; /* the host's handle once opened, -1 before */
    unsigned used;
    char line[LINE_BYTES];
};

static int console_flush(FILE *file)
{
    struct console_stream *s = (struct console_stream *)file;
    if (s->used == 0)
        return 0;
    if (s->handle < 0)
        s->handle = sys_semihost_open(":tt", s->mode);
    if (s->handle < 0)
        return EOF;
    /* SYS_WRITE returns the number of bytes it could not write */
    if (sys_semihost_write(s->handle, s->line, s->used) != 0) {
        s->used = 0;
        return EOF;
    }
    s->used = 0;
    return 0;
}

/* Line buffered, like a terminal: a program that exits early still shows every full line. */
static int console_put(char c, FILE *file)
{
    struct console_stream *s = (struct console_stream *)file;
    s->line[s->used++] = c;
    if (c == '\n' || s->used == LINE_BYTES)
        if (console_flush(file) != 0)
            return EOF;
    return (unsigned char)c;
}

static int console_get_eof(FILE *file)
{
    (void)file;
    return EOF; /* test programs read no input */
}

static struct console_stream stdout_stream = {
    FDEV_SETUP_STREAM(console_put, NULL, console_flush, _FDEV_SETUP_WRITE), SH_OPEN_W, -1, 0, {0}};
static struct console_stream stderr_stream = {
    FDEV_SETUP_STREAM(console_put, NULL, console_flush, _FDEV_SETUP_WRITE), SH_OPEN_A, -1, 0, {0}};
static FILE stdin_stream = FDEV_SETUP_STREAM(NULL, console_get_eof, NULL, _FDEV_SETUP_READ);

FILE *const stdin = &stdin_stream;
FILE *const stdout = &stdout_stream.file;
FILE *const stderr = &stderr_stream.file;
