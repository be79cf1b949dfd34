/**
 * The seccomp filter bwrap loads just before it executes a sandboxed command (`--seccomp FD`): a
 * classic BPF program, built here byte for byte, so `sandbox attest` can report its SHA-256.
 *
 * It is a deny list on top of an allow-everything default (like Docker's and Flatpak's): the calls
 * that reach kernel attack surface or escape the namespaces — new namespaces (`unshare`, `setns`,
 * `clone` with any CLONE_NEW* flag; `clone3` answers ENOSYS so libc falls back to `clone`, whose
 * flags a filter can read), mounts, keyrings, ptrace and cross-process memory, kernel modules,
 * kexec, BPF, perf, userfaultfd, handles that open files by inode, and the TIOCSTI/TIOCLINUX ioctls
 * that type into a terminal. A syscall of another ABI (i386 through int 0x80, x32) is refused
 * outright: its numbers differ, so the list would not apply to it.
 *
 * Only x86_64 has a filter (the numbers are checked on this architecture by the suite's attest run);
 * elsewhere `seccompProgram()` returns null and attest reports the filter as not installed.
 */
import { createHash } from 'node:crypto';
import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const AUDIT_ARCH_X86_64 = 0xc000003e;
const X32_SYSCALL_BIT = 0x40000000;

/** x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl). */
const X86_64_DENIED: Record<string, number> = {
  ptrace: 101,
  syslog: 103,
  pivot_root: 155,
  acct: 163,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  iopl: 172,
  ioperm: 173,
  init_module: 175,
  delete_module: 176,
  quotactl: 179,
  lookup_dcookie: 212,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
};
const NR_IOCTL = 16;
const NR_CLONE = 56;
const NR_CLONE3 = 435;
const TIOCSTI = 0x5412;
const TIOCLINUX = 0x541c;
/** CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET. */
const CLONE_NEW_ANY = 0x7e020000;

const RET_ALLOW = 0x7fff0000;
const RET_ERRNO = 0x00050000;
const EPERM = 1;
const ENOSYS = 38;

// Classic BPF opcodes.
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

type Insn = [code: number, jt: number, jf: number, k: number];

/** The syscall names the filter refuses (for docs and the attest record). */
export const DENIED_SYSCALLS = [...Object.keys(X86_64_DENIED), 'clone(CLONE_NEW*)', 'clone3 (ENOSYS)', 'ioctl(TIOCSTI|TIOCLINUX)'];

/** The filter as bytes (struct sock_filter[]), or null where no filter exists for the architecture. */
export function seccompProgram(arch: string = process.arch): Buffer | null {
  if (arch !== 'x64') return null;
  const denied = Object.values(X86_64_DENIED);
  // Layout: [arch check][load nr][x32 check][denied…][clone][clone3][ioctl] allow, eperm, enosys,
  // then the argument checks for clone and ioctl. Jump offsets count instructions after the jump.
  const prog: Insn[] = [];
  const tail = (from: number, target: number) => target - from - 1;
  // Indices of the shared return instructions, computed once the head is known.
  const head = 4 + denied.length + 3;
  const ALLOW = head;
  const DENY = head + 1;
  const NOSYS = head + 2;
  const CLONE_ARGS = head + 3;
  const IOCTL_ARGS = head + 7;
  prog.push([LD_W_ABS, 0, 0, 4]); // seccomp_data.arch
  prog.push([JEQ_K, 0, tail(1, DENY), AUDIT_ARCH_X86_64]);
  prog.push([LD_W_ABS, 0, 0, 0]); // seccomp_data.nr
  // index 3: x32 ABI
  prog.push([JGE_K, tail(3, DENY), 0, X32_SYSCALL_BIT]);
  for (const nr of denied) prog.push([JEQ_K, tail(prog.length, DENY), 0, nr]);
  prog.push([JEQ_K, tail(prog.length, CLONE_ARGS), 0, NR_CLONE]);
  prog.push([JEQ_K, tail(prog.length, NOSYS), 0, NR_CLONE3]);
  prog.push([JEQ_K, tail(prog.length, IOCTL_ARGS), tail(prog.length, ALLOW), NR_IOCTL]);
  prog.push([RET_K, 0, 0, RET_ALLOW]);
  prog.push([RET_K, 0, 0, RET_ERRNO | EPERM]);
  prog.push([RET_K, 0, 0, RET_ERRNO | ENOSYS]);
  // BPF jumps only go forward, so the argument checks end in their own returns.
  // clone: flags are the low 32 bits of args[0] (offset 16, little-endian).
  prog.push([LD_W_ABS, 0, 0, 16]);
  prog.push([JSET_K, 0, 1, CLONE_NEW_ANY]);
  prog.push([RET_K, 0, 0, RET_ERRNO | EPERM]);
  prog.push([RET_K, 0, 0, RET_ALLOW]);
  // ioctl: the request is args[1] (offset 24).
  prog.push([LD_W_ABS, 0, 0, 24]);
  prog.push([JEQ_K, 2, 0, TIOCSTI]);
  prog.push([JEQ_K, 1, 0, TIOCLINUX]);
  prog.push([RET_K, 0, 0, RET_ALLOW]);
  prog.push([RET_K, 0, 0, RET_ERRNO | EPERM]);
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach(([code, jt, jf, k], i) => {
    if (jt > 255 || jf > 255 || jt < 0 || jf < 0) throw new Error(`seccomp: jump out of range at ${i}`);
    buf.writeUInt16LE(code, i * 8);
    buf.writeUInt8(jt, i * 8 + 2);
    buf.writeUInt8(jf, i * 8 + 3);
    buf.writeUInt32LE(k >>> 0, i * 8 + 4);
  });
  return buf;
}

export function seccompSha256(program: Buffer | null = seccompProgram()): string | null {
  return program ? createHash('sha256').update(program).digest('hex') : null;
}

/** The filter, open on an unlinked file: nothing of it is left on disk, and each launch reopens it. */
let held: { program: Buffer; fd: number; dev: bigint; ino: bigint } | null | undefined;

export interface SeccompFdOptions {
  /** The directory of this process's fds (default /proc/self/fd; a test points it elsewhere to take the fallback). */
  procFds?: string;
}

/**
 * A fresh read fd on the filter for one bwrap, at offset 0 (bwrap reads the fd to its end, so fds
 * are not shared between launches); null when there is no filter for this architecture.
 *
 * The filter is written once per process into a private directory, opened, and the file and the
 * directory removed at once; the process keeps that fd. Opening `/proc/self/fd/N` of an unlinked
 * file gives a new open file description with its own offset, so each launch gets its own fd on the
 * same bytes. Where that does not work (no /proc), each launch writes and unlinks a copy of its own.
 * A failure to provide the filter throws: the launch does not go ahead without it.
 */
export function openSeccompFd(opts: SeccompFdOptions = {}): number | null {
  if (held === undefined) {
    const program = seccompProgram();
    if (!program) held = null;
    else {
      const fd = openUnlinkedCopy(program);
      const st = fstatSync(fd, { bigint: true });
      held = { program, fd, dev: st.dev, ino: st.ino };
    }
  }
  if (held === null) return null;
  let fd: number | undefined;
  try {
    fd = openSync(join(opts.procFds ?? '/proc/self/fd', String(held.fd)), 'r');
    const st = fstatSync(fd, { bigint: true });
    // The same inode, not whatever file may have taken over the fd number.
    if (st.dev === held.dev && st.ino === held.ino) return fd;
  } catch {
    // No /proc here: a copy of its own, below.
  }
  if (fd !== undefined) closeSync(fd);
  return openUnlinkedCopy(held.program);
}

/** Writes `program` into a new private directory under os.tmpdir(), opens it read-only, and removes both. */
function openUnlinkedCopy(program: Buffer): number {
  const dir = mkdtempSync(join(tmpdir(), 'openclaw-seccomp-'));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  let fd: number;
  try {
    const file = join(dir, 'filter.bpf');
    writeFileSync(file, program, { mode: 0o400 });
    fd = openSync(file, 'r');
  } catch (e) {
    remove();
    throw e;
  }
  try {
    remove();
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}
