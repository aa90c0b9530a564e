/*
 * Small helpers the flow runtime tests share: save a flow, post and expect 200, and wait for a
 * flow's runs to be committed (polling the runs list: the condition is the commit, never a
 * time; Criterion's per-test timeout bounds a run that never comes).
 */
#ifndef AU_RT_FLOWS_HELPERS_H
#define AU_RT_FLOWS_HELPERS_H

#include <jansson.h>

#include "harness.h"

/* PUTs a YAML flow definition and asserts 200. */
void rt_flow_put(au_rt_daemon *d, const char *name, const char *yaml);
/* A flow with one file step writing into DIR/<file> (the daemon's data directory): `trigger`
 * and `body` are YAML flow-style values; `extra` (or NULL) is appended (more keys). */
void rt_flow_put_file(au_rt_daemon *d, const char *name, const char *trigger, const char *file,
                      const char *body, const char *extra);
/* Sends method path body with the admin key and asserts the status. */
void rt_call(au_rt_daemon *d, const char *method, const char *path, const char *body, long want);
/* GET path with the admin key, asserts 200; the parsed body (new reference). */
json_t *rt_get(au_rt_daemon *d, const char *path);
/* The runs of `flow` (GET /v1/flows/{flow}/runs?<query>) once there are at least `want` and
 * none is pending. New reference. */
json_t *rt_flow_runs_when(au_rt_daemon *d, const char *flow, const char *query, size_t want);
/* The string at o.a[.b[.c]] (b, c may be NULL), or NULL. */
const char *rt_str_at(json_t *o, const char *a, const char *b, const char *c);

#endif
