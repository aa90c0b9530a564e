/*
 * libFuzzer harness of the CSV reader (aurum import): header, then every record, with small
 * bounds so the too-large paths are reached too.
 */
#include "fuzz.h"
#include "lib/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    au_csv_opts o;
    au_csv *c = NULL;
    au_csv_row row;
    au_err err;
    au_csv_opts_default(&o);
    o.max_field = 256;
    o.max_record = 1024;
    o.max_fields = 32;
    if (size && data[0] == ';')
        o.sep = ';';
    if (au_csv_open_mem((const char *)data, size, &o, &c) != AU_OK)
        return 0;
    au_err_init(&err);
    if (au_csv_read_header(c, &err) == AU_OK) {
        for (int guard = 0; guard < 100000; guard++) {
            au_err_cleanup(&err);
            au_err_init(&err);
            au_rc rc = au_csv_next_record(c, &row, &err);
            if (rc == AU_ERR_IO || (rc == AU_OK && row.eof))
                break;
            for (size_t i = 0; rc == AU_OK && i < row.nfields; i++)
                (void)au_csv_header_name(c, i);
        }
    }
    au_err_cleanup(&err);
    au_csv_free(c);
    return 0;
}
