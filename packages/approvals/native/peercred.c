/*
 * peercred: the credentials of the process at the other end of a connected Unix socket, for the
 * approvals endpoint's same-UID check (Node has no API for it).
 *
 * Linux: getsockopt(SO_PEERCRED), the credentials the kernel recorded at connect(2) — bound to the
 * connection itself, so there is no race with the peer exiting or its pid being reused.
 * BSD/macOS: getpeereid(2), the same guarantee without a pid.
 *
 * Built with Node-API (ABI-stable across Node versions) by scripts/build.mjs; loaded by
 * packages/approvals/src/endpoint/peer-cred.ts. Exports: peerCred(fd) -> {uid, gid, pid}.
 */
#define _GNU_SOURCE
#include <errno.h>
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

static napi_value peer_cred(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, NULL, "peerCred(fd) needs a file descriptor");
    return NULL;
  }
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, "peerCred(fd): fd must be a non-negative integer");
    return NULL;
  }
  int64_t uid, gid, pid = -1;
#if defined(__linux__)
  struct ucred cred;
  socklen_t len = sizeof cred;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return throw_errno(env, "getsockopt(SO_PEERCRED)", errno);
  if (len != sizeof cred) return throw_errno(env, "getsockopt(SO_PEERCRED) short answer", EPROTO);
  uid = cred.uid;
  gid = cred.gid;
  pid = cred.pid;
#else
  uid_t u;
  gid_t g;
  if (getpeereid(fd, &u, &g) != 0) return throw_errno(env, "getpeereid", errno);
  uid = u;
  gid = g;
#endif
  napi_value obj;
  if (napi_create_object(env, &obj) != napi_ok) return NULL;
  if (!set_int(env, obj, "uid", uid) || !set_int(env, obj, "gid", gid) || !set_int(env, obj, "pid", pid)) return NULL;
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  if (napi_create_function(env, "peerCred", NAPI_AUTO_LENGTH, peer_cred, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "peerCred", fn) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE(peercred, init)
