/*
 * launcher.h: the postmaster-started launcher of per-database workers.
 */
#ifndef PGIOT_LAUNCHER_H
#define PGIOT_LAUNCHER_H

#include "postgres.h"

extern PGDLLEXPORT void pgiot_launcher_main(Datum main_arg);
extern void pgiot_launcher_register(void);

#endif
