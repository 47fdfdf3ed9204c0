/*
 * decode_errors.h: SQLSTATEs of the decoders (documented in
 * docs/sql/decoders.md).
 *
 *   PI040  invalid decoder description: JBBP format, CSV columns/options
 *          or template (the manual's descriptionValid = false)
 *   22P03  binary payload cannot be decoded (too short, bad UTF-8, ...)
 *   22P02  CSV payload or hex text cannot be decoded
 *   PI041  template cannot be rendered into JSON
 *   PI042  decoder not found
 *   PI043  decoder already exists (same encoding)
 *   PI044  more than 100 decoders of a kind (raised in SQL)
 *   54000  decoded output too large
 */
#ifndef PGIOT_DECODE_ERRORS_H
#define PGIOT_DECODE_ERRORS_H

#include "utils/elog.h"

#define ERRCODE_PGIOT_DECODER_INVALID		MAKE_SQLSTATE('P','I','0','4','0')
#define ERRCODE_PGIOT_TEMPLATE_FAILED		MAKE_SQLSTATE('P','I','0','4','1')
#define ERRCODE_PGIOT_DECODER_NOT_FOUND		MAKE_SQLSTATE('P','I','0','4','2')
#define ERRCODE_PGIOT_DECODER_DUPLICATE		MAKE_SQLSTATE('P','I','0','4','3')

#endif
