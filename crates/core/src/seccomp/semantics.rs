//! What a profile decides, in plain Rust: which rules apply to a container,
//! how a rule's conditions combine, and the action a call gets
//! ([`Profile::decide`]). Backends compile exactly this; their tests (and
//! the fuzzer) check compiled filters against it.

use super::{Action, CmpOp, Condition, Context, Profile, Rule};

impl Rule {
    /// Whether the rule applies to a container in `cx` (Docker's rules).
    pub fn applies(&self, cx: &Context) -> bool {
        let has_cap = |c: &String| cx.capabilities.contains(c);
        let (inc, exc) = (&self.includes, &self.excludes);
        let excluded = exc.caps.iter().any(has_cap)
            || exc.arches.contains(&cx.arch)
            || exc.min_kernel.is_some_and(|v| cx.kernel >= v);
        let included = inc.caps.iter().all(has_cap)
            && (inc.arches.is_empty() || inc.arches.contains(&cx.arch))
            && inc.min_kernel.is_none_or(|v| cx.kernel >= v);
        included && !excluded
    }

    /// The alternatives this rule matches: one set of conditions that must
    /// all hold, or, when two conditions name the same argument, each
    /// condition on its own (as runc adds them to libseccomp). Empty: the
    /// rule matches on the name alone.
    pub fn condition_sets(&self) -> Vec<Vec<Condition>> {
        let repeated = (0..6u8).any(|i| self.args.iter().filter(|c| c.index == i).count() > 1);
        match (self.args.is_empty(), repeated) {
            (true, _) => Vec::new(),
            (false, false) => vec![self.args.clone()],
            (false, true) => self.args.iter().map(|c| vec![*c]).collect(),
        }
    }

    /// Whether a call with `args` matches the rule's conditions.
    pub fn matches(&self, args: &[u64; 6]) -> bool {
        let sets = self.condition_sets();
        sets.is_empty() || sets.iter().any(|set| set.iter().all(|c| c.holds(args)))
    }
}

impl Condition {
    /// Whether the condition holds for a call with `args` (unsigned 64-bit).
    pub fn holds(&self, args: &[u64; 6]) -> bool {
        let Some(&arg) = args.get(usize::from(self.index)) else { return false };
        match self.op {
            CmpOp::Eq => arg == self.value,
            CmpOp::Ne => arg != self.value,
            CmpOp::Lt => arg < self.value,
            CmpOp::Le => arg <= self.value,
            CmpOp::Gt => arg > self.value,
            CmpOp::Ge => arg >= self.value,
            CmpOp::MaskedEq => arg & self.value == self.value_two,
        }
    }
}

impl Profile {
    /// The rules that apply in `cx` and name `syscall`, in the order they
    /// are tried: those with conditions first, then those without, each in
    /// profile order.
    pub fn rules_for<'a>(&'a self, syscall: &str, cx: &Context) -> Vec<&'a Rule> {
        let named: Vec<&Rule> =
            self.rules.iter().filter(|r| r.applies(cx) && r.names.iter().any(|n| n == syscall)).collect();
        let (conditional, plain): (Vec<&Rule>, Vec<&Rule>) = named.into_iter().partition(|r| !r.args.is_empty());
        conditional.into_iter().chain(plain).collect()
    }

    /// The action a call to `syscall` with `args` gets in `cx`: the first
    /// matching rule's, else the default. (The native-architecture and x32
    /// checks come before this and are the backend's.)
    pub fn decide(&self, syscall: &str, cx: &Context, args: &[u64; 6]) -> Action {
        self.rules_for(syscall, cx).into_iter().find(|r| r.matches(args)).map_or(self.default_action, |r| r.action)
    }
}
