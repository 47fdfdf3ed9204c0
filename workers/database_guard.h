/*
 * database_guard.h: keeps pgiot's workers out of the way of DROP DATABASE.
 */
#ifndef PGIOT_DATABASE_GUARD_H
#define PGIOT_DATABASE_GUARD_H

extern void pgiot_database_guard_install(void);

#endif
