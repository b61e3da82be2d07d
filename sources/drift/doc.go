// Package drift compares a live schema with a reference (another
// environment's database, or a file written by `opsdeck schema dump`) and
// says, for each difference, what SQL would make the live schema match,
// marked hazardous where it drops or rewrites.
//
// It works on the catalogue's own text (format_type, pg_get_expr,
// pg_get_indexdef, pg_get_constraintdef) rather than on a schema library:
// Atlas, the library first chosen, costs 5 MiB of resident memory merely by
// being linked (HCL, cty and friends), which the console cannot afford
// (docs/PERFORMANCE.md). Its open-source build also lacks extensions and
// sequences, which Origin needs (pgvector).
package drift
