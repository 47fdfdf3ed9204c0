/*
 * math_expr.h: the arithmetic of the templates ({{#math}} and the rule
 * that turns a quoted pure arithmetic string into a number), in pure C.
 *
 *   expr := number | ( expr ) | - expr | + expr | expr op expr
 *   op   := + - * / % ^      (^ is power, right-associative, binds tightest)
 *
 * Numbers are JSON-style decimals (with fraction and exponent).
 */
#ifndef PGIOT_MATH_EXPR_H
#define PGIOT_MATH_EXPR_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Evaluate the whole of s[0..len) (spaces allowed around tokens).  False
 * when it is not an arithmetic expression over numbers, or the result is
 * not finite.  *has_operator tells whether it had any operator (a bare
 * number has none).
 */
extern bool math_eval(const char *s, size_t len, double *result, bool *has_operator);

/* The text of a result: integral values without fraction, others as the
 * shortest decimal that reads back; buf >= 32 bytes.  Returns length. */
extern int	math_format(char *buf, double v);

#endif
