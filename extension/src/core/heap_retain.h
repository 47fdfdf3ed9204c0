/*
 * heap_retain.h: keep freed heap memory in a backend that works in big
 * batches, instead of returning it to the kernel after every batch.
 */
#ifndef PGIOT_HEAP_RETAIN_H
#define PGIOT_HEAP_RETAIN_H

extern void pgiot_heap_retain(void);

#endif
