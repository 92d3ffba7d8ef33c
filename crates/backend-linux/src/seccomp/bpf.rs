//! Laying out the filter program: the architecture and x32 checks, a
//! binary search over ranges of syscall numbers that ends in a `RET` or, for
//! a syscall whose rules look at arguments, in its arms (conditions
//! compiled by `seccompiler`, each followed by its action). The search reads
//! only the number, so the kernel can cache the verdict for every syscall
//! that is allowed outright (Linux 5.11 and later).
//!
//! `seccompiler` compiles conditions into a block with this contract, which
//! [`assemble`] relies on: entered at its first instruction, the block falls
//! through to the instruction right after it when every condition holds
//! (the arm's `RET` goes there) and otherwise jumps past that `RET`, to the
//! next arm. Its second instruction, reached only from `seccompiler`'s own
//! syscall dispatch, jumps two past the `RET`; a chain always ends in an
//! unconditional `RET` and the program in one more, so that target exists.

use libc::sock_filter;

/// One way a syscall can go: a condition block and what it returns.
pub struct Arm {
    /// The block from `seccompiler::SeccompRule`, converted.
    pub block: Vec<sock_filter>,
    /// The `SECCOMP_RET_*` value.
    pub ret: u32,
}

/// A syscall number, its conditional arms, and what it returns when none
/// matches.
pub struct Chain {
    /// The syscall number.
    pub nr: u32,
    /// Tried in order (often none).
    pub arms: Vec<Arm>,
    /// The `SECCOMP_RET_*` value otherwise.
    pub ret: u32,
}

/// What surrounds the chains.
pub struct Layout {
    /// `AUDIT_ARCH_*` of the only architecture allowed.
    pub audit_arch: u32,
    /// Kill x32 calls (`nr & 0x40000000` on x86_64).
    pub kill_x32: bool,
    /// Return ENOSYS for numbers above this (newer than cove's table), so
    /// that libc falls back as it would on an older kernel.
    pub enosys_above: Option<u32>,
    /// What a number without a chain returns.
    pub default_ret: u32,
}

const LD_ABS: u32 = libc::BPF_LD | libc::BPF_W | libc::BPF_ABS;
const JEQ: u32 = libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K;
const JGE: u32 = libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K;
const JA: u32 = libc::BPF_JMP | libc::BPF_JA;
const RET: u32 = libc::BPF_RET | libc::BPF_K;
/// Offsets in `struct seccomp_data`.
const NR: u32 = 0;
const ARCH: u32 = 4;
/// `__X32_SYSCALL_BIT`.
const X32_BIT: u32 = 0x4000_0000;

/// The complete program, or `None` if a jump could not be resolved forwards
/// (which the layout rules out).
pub fn assemble(layout: &Layout, chains: Vec<Chain>) -> Option<Vec<sock_filter>> {
    let blocks: usize = chains.iter().flat_map(|c| &c.arms).map(|a| a.block.len() + 1).sum();
    let mut asm = Asm::with_capacity(16 + 4 * chains.len() + blocks);
    // Any other architecture dies: on x86_64 that is i386 code (int 0x80),
    // whose numbers mean different calls.
    asm.insn(LD_ABS, ARCH, 0, 0);
    asm.insn(JEQ, layout.audit_arch, 1, 0);
    asm.insn(RET, libc::SECCOMP_RET_KILL_PROCESS, 0, 0);
    asm.insn(LD_ABS, NR, 0, 0);
    if layout.kill_x32 {
        asm.insn(JGE, X32_BIT, 0, 1);
        asm.insn(RET, libc::SECCOMP_RET_KILL_PROCESS, 0, 0);
    }
    let labels: Vec<Label> = chains.iter().map(|_| asm.label()).collect();
    dispatch(&mut asm, &segments(layout, &chains), &labels);
    for (chain, label) in chains.into_iter().zip(labels) {
        if chain.arms.is_empty() {
            continue;
        }
        asm.mark(label);
        for arm in chain.arms {
            asm.items.extend(arm.block.into_iter().map(Item::Insn));
            asm.insn(RET, arm.ret, 0, 0);
        }
        asm.insn(RET, chain.ret, 0, 0);
    }
    // Only the skip path of the last block can reach this (see the module docs).
    asm.insn(RET, layout.default_ret, 0, 0);
    asm.finish()
}

/// Where a range of numbers goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Goal {
    /// Straight to a `RET`.
    Ret(u32),
    /// To the arms of `chains[i]`.
    Chain(usize),
}

/// Every number from 0 up as sorted `(first number, goal)` ranges: runs of
/// numbers with the same plain action (most of an allow-list) share one.
fn segments(layout: &Layout, chains: &[Chain]) -> Vec<(u32, Goal)> {
    fn put(segs: &mut Vec<(u32, Goal)>, start: u32, goal: Goal) {
        if segs.last().is_some_and(|(s, _)| *s == start) {
            segs.pop();
        }
        if segs.last().is_none_or(|(_, g)| *g != goal) {
            segs.push((start, goal));
        }
    }
    let default = Goal::Ret(layout.default_ret);
    let mut segs = vec![(0, default)];
    for (i, chain) in chains.iter().enumerate() {
        put(&mut segs, chain.nr, if chain.arms.is_empty() { Goal::Ret(chain.ret) } else { Goal::Chain(i) });
        put(&mut segs, chain.nr.saturating_add(1), default);
    }
    if let Some(max) = layout.enosys_above {
        put(&mut segs, max.saturating_add(1), Goal::Ret(libc::SECCOMP_RET_ERRNO | libc::ENOSYS as u32));
    }
    segs
}

/// A binary search over the ranges (the accumulator holds the number).
fn dispatch(asm: &mut Asm, segs: &[(u32, Goal)], labels: &[Label]) {
    if let [(_, goal)] = segs {
        match goal {
            Goal::Ret(k) => asm.insn(RET, *k, 0, 0),
            Goal::Chain(i) => asm.goto(labels[*i]),
        }
        return;
    }
    let (low, high) = segs.split_at(segs.len() / 2);
    let upper = asm.label();
    asm.insn(JGE, high[0].0, 0, 1);
    asm.goto(upper);
    dispatch(asm, low, labels);
    asm.mark(upper);
    dispatch(asm, high, labels);
}

#[derive(Clone, Copy, PartialEq, Eq)]
struct Label(usize);

enum Item {
    Insn(sock_filter),
    /// `JA` to a label (32-bit offset, so any distance).
    Goto(Label),
    /// Where a label points; no instruction.
    Mark(Label),
}

/// Instructions with forward jumps to labels.
struct Asm {
    items: Vec<Item>,
    labels: usize,
}

impl Asm {
    fn with_capacity(items: usize) -> Asm {
        Asm { items: Vec::with_capacity(items), labels: 0 }
    }

    fn label(&mut self) -> Label {
        self.labels += 1;
        Label(self.labels - 1)
    }

    fn insn(&mut self, code: u32, k: u32, jt: u8, jf: u8) {
        self.items.push(Item::Insn(sock_filter { code: code as u16, jt, jf, k }));
    }

    fn goto(&mut self, label: Label) {
        self.items.push(Item::Goto(label));
    }

    fn mark(&mut self, label: Label) {
        self.items.push(Item::Mark(label));
    }

    /// Resolves the labels; `None` for a jump backwards or to a label never marked.
    fn finish(self) -> Option<Vec<sock_filter>> {
        let mut at = vec![None; self.labels];
        let mut pos = 0u32;
        for item in &self.items {
            match item {
                Item::Mark(Label(l)) => at[*l] = Some(pos),
                _ => pos += 1,
            }
        }
        let mut out = Vec::with_capacity(pos as usize);
        for item in self.items {
            match item {
                Item::Insn(insn) => out.push(insn),
                Item::Goto(Label(l)) => {
                    let here = out.len() as u32;
                    let k = at[l]?.checked_sub(here + 1)?;
                    out.push(sock_filter { code: JA as u16, jt: 0, jf: 0, k });
                }
                Item::Mark(_) => {}
            }
        }
        Some(out)
    }
}
