/*
 * peercred: the credentials of the process at the other end of a connected Unix socket, for the
 * approvals endpoint's same-UID check (Node has no API for it).
 *
 * Linux: getsockopt(SO_PEERCRED), the credentials the kernel recorded at connect(2) — bound to the
 * connection itself, so there is no race with the peer exiting or its pid being reused.
 * BSD/macOS: getpeereid(2), the same guarantee without a pid.
 *
 * Built with Node-API (ABI-stable across Node versions) by scripts/build.mjs; loaded by
 * packages/approvals/src/endpoint/peer-cred.ts. Exports: peerCred(fd) -> {uid, gid, pid}, and
 * peerCredInto(fd, Float64Array(3)) -> undefined, which writes [uid, gid, pid] into the array: the
 * endpoint calls it once per connection, and filling three numbers costs far less than building an
 * object through Node-API.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <node_api.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "ERR_PEERCRED", msg);
  return NULL;
}

static napi_value set_int(napi_env env, napi_value obj, const char *key, int64_t value) {
  napi_value v;
  if (napi_create_int64(env, value, &v) != napi_ok) return NULL;
  if (napi_set_named_property(env, obj, key, v) != napi_ok) return NULL;
  return obj;
}

/* The credentials of the peer on fd; 0, or -1 after throwing. */
static int read_cred(napi_env env, int32_t fd, int64_t out[3]) {
  out[2] = -1;
#if defined(__linux__)
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
    throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
    return -1;
  }
  if (len != sizeof cred) {
    throw_errno(env, "getsockopt(SO_PEERCRED) short answer", EPROTO);
    return -1;
  }
  out[0] = cred.uid;
  out[1] = cred.gid;
  out[2] = cred.pid;
#else
  uid_t u;
  gid_t g;
  if (getpeereid(fd, &u, &g) != 0) {
    throw_errno(env, "getpeereid", errno);
    return -1;
  }
  out[0] = u;
  out[1] = g;
#endif
  return 0;
}

static int fd_arg(napi_env env, napi_value v, int32_t *fd) {
  if (napi_get_value_int32(env, v, fd) != napi_ok || *fd < 0) {
    napi_throw_type_error(env, NULL, "peerCred(fd): fd must be a non-negative integer");
    return -1;
  }
  return 0;
}

static napi_value peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "peerCred(fd) needs a file descriptor");
    return NULL;
  }
  int32_t fd;
  int64_t cred[3];
  if (fd_arg(env, argv[0], &fd) != 0 || read_cred(env, fd, cred) != 0) return NULL;
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  if (!set_int(env, obj, "uid", cred[0]) || !set_int(env, obj, "gid", cred[1]) || !set_int(env, obj, "pid", cred[2])) return NULL;
  return obj;
}

static napi_value peer_cred_into(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    napi_throw_type_error(env, NULL, "peerCredInto(fd, out) needs a file descriptor and a Float64Array(3)");
    return NULL;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  bool is_typed;
  if (napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
      napi_get_typedarray_info(env, argv[1], &type, &length, &data, NULL, NULL) != napi_ok || type != napi_float64_array || length < 3) {
    napi_throw_type_error(env, NULL, "peerCredInto(fd, out): out must be a Float64Array of at least 3 elements");
    return NULL;
  }
  int32_t fd;
  int64_t cred[3];
  if (fd_arg(env, argv[0], &fd) != 0 || read_cred(env, fd, cred) != 0) return NULL;
  double *out = data;
  out[0] = (double)cred[0];
  out[1] = (double)cred[1];
  out[2] = (double)cred[2];
  return NULL;
}

static int export_fn(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  if (napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn) != napi_ok) return -1;
  return napi_set_named_property(env, exports, name, fn) == napi_ok ? 0 : -1;
}

static napi_value init(napi_env env, napi_value exports) {
  if (export_fn(env, exports, "peerCred", peer_cred) != 0 || export_fn(env, exports, "peerCredInto", peer_cred_into) != 0) return NULL;
  return exports;
}

NAPI_MODULE(peercred, init)
