/*
 * rules_errors.h: the SQLSTATEs of the rules area (class PI, 6xx), listed
 * in docs/sql/rules.md.  Never renumber a code.
 */
#ifndef PGIOT_RULES_ERRORS_H
#define PGIOT_RULES_ERRORS_H

#include "utils/elog.h"

#define ERRCODE_PGIOT_INVALID_RULE			MAKE_SQLSTATE('P','I','6','0','1')
#define ERRCODE_PGIOT_RULE_NOT_FOUND		MAKE_SQLSTATE('P','I','6','0','2')
#define ERRCODE_PGIOT_RULE_IN_USE			MAKE_SQLSTATE('P','I','6','0','3')
#define ERRCODE_PGIOT_RULE_LIMIT			MAKE_SQLSTATE('P','I','6','0','4')
#define ERRCODE_PGIOT_RULE_DUPLICATE		MAKE_SQLSTATE('P','I','6','0','5')

#endif
