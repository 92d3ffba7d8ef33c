//! A user-space run of a compiled filter: the subset of classic BPF that
//! seccomp filters use, with the kernel's load-time checks. Tests and the
//! fuzzer compare what a filter returns with `Profile::decide`.

use libc::sock_filter;

/// What the kernel hands a filter (`struct seccomp_data`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SeccompData {
    /// Syscall number.
    pub nr: u32,
    /// `AUDIT_ARCH_*`.
    pub arch: u32,
    /// Instruction pointer.
    pub instruction_pointer: u64,
    /// Arguments.
    pub args: [u64; 6],
}

impl SeccompData {
    /// The 32-bit word at byte `offset`, in this machine's byte order, as
    /// `BPF_LD | BPF_W | BPF_ABS` reads it.
    fn word(&self, offset: u32) -> Option<u32> {
        let mut bytes = Vec::with_capacity(64);
        bytes.extend_from_slice(&self.nr.to_ne_bytes());
        bytes.extend_from_slice(&self.arch.to_ne_bytes());
        bytes.extend_from_slice(&self.instruction_pointer.to_ne_bytes());
        for a in self.args {
            bytes.extend_from_slice(&a.to_ne_bytes());
        }
        let at = usize::try_from(offset).ok().filter(|o| o % 4 == 0)?;
        Some(u32::from_ne_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    }
}

const LD_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const AND_K: u16 = (libc::BPF_ALU | libc::BPF_AND | libc::BPF_K) as u16;
const JA: u16 = (libc::BPF_JMP | libc::BPF_JA) as u16;
const JEQ: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const JGT: u16 = (libc::BPF_JMP | libc::BPF_JGT | libc::BPF_K) as u16;
const JGE: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
const JSET: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
const RET: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

/// The checks the kernel makes before it accepts a filter
/// (`bpf_check_classic`, `seccomp_check_filter`), for the instructions
/// cove emits: known opcodes, aligned loads inside `seccomp_data`, jumps
/// that land inside the program, and a `RET` at the end.
pub fn check(program: &[sock_filter]) -> Result<(), String> {
    if program.is_empty() || program.len() > libc::BPF_MAXINSNS as usize {
        return Err(format!("{} instructions", program.len()));
    }
    let len = program.len();
    for (pc, insn) in program.iter().enumerate() {
        let lands = |off: usize| pc + 1 + off < len;
        let ok = match insn.code {
            LD_ABS => insn.k % 4 == 0 && insn.k < 64,
            AND_K | RET => true,
            JA => lands(insn.k as usize),
            JEQ | JGT | JGE | JSET => lands(insn.jt.into()) && lands(insn.jf.into()),
            _ => false,
        };
        if !ok {
            return Err(format!("instruction {pc} {insn:?} is invalid"));
        }
    }
    match program[len - 1].code {
        RET => Ok(()),
        _ => Err("the program does not end with RET".into()),
    }
}

/// Runs `program` on `data`; `None` when it does something the kernel
/// would have refused at load time (run [`check`] first).
pub fn run(program: &[sock_filter], data: &SeccompData) -> Option<u32> {
    run_counted(program, data).map(|(ret, _)| ret)
}

/// [`run`], also returning how many instructions ran.
pub fn run_counted(program: &[sock_filter], data: &SeccompData) -> Option<(u32, usize)> {
    let (mut pc, mut acc) = (0usize, 0u32);
    for steps in 1.. {
        let insn = program.get(pc)?;
        let jump = |taken: bool| pc + 1 + usize::from(if taken { insn.jt } else { insn.jf });
        pc = match insn.code {
            LD_ABS => {
                acc = data.word(insn.k)?;
                pc + 1
            }
            AND_K => {
                acc &= insn.k;
                pc + 1
            }
            JA => pc + 1 + insn.k as usize,
            JEQ => jump(acc == insn.k),
            JGT => jump(acc > insn.k),
            JGE => jump(acc >= insn.k),
            JSET => jump(acc & insn.k != 0),
            RET => return Some((insn.k, steps)),
            _ => return None,
        };
    }
    None
}
