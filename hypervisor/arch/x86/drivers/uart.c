/* 16550 UART on COM1: polled output, input drained from the IRQ handler. */
#include <asm/x86.h>
#include <basalt/console.h>

static uint16_t uart_port;

enum {
    UART_DATA = 0, UART_IER = 1, UART_FCR = 2, UART_LCR = 3,
    UART_MCR = 4, UART_LSR = 5,
};
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20

void uart_init(uint16_t port)
{
    uart_port = port;
    outb(port + UART_IER, 0);
    outb(port + UART_LCR, 0x80);     /* divisor latch */
    outb(port + UART_DATA, 1);       /* 115200 baud */
    outb(port + UART_IER, 0);
    outb(port + UART_LCR, 0x03);     /* 8N1 */
    outb(port + UART_FCR, 0x07);     /* FIFOs on and cleared */
    outb(port + UART_MCR, 0x0b);     /* DTR, RTS, OUT2 (IRQ gate) */
}

/* Asks the UART to interrupt when input arrives. */
void uart_enable_rx_irq(void)
{
    outb(uart_port + UART_IER, 0x01);
}

void uart_putc(char c)
{
    if (!uart_port)
        return;
    while (!(inb(uart_port + UART_LSR) & LSR_THR_EMPTY))
        cpu_relax();
    outb(uart_port + UART_DATA, (uint8_t)c);
}

int uart_getc(void)
{
    if (!uart_port || !(inb(uart_port + UART_LSR) & LSR_DATA_READY))
        return -1;
    return inb(uart_port + UART_DATA);
}
