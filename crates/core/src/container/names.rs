//! Container names: Docker's rule for given names, and generated
//! `adjective_noun` names when none is given.

const ADJECTIVES: &[&str] = &[
    "admiring", "bold", "brave", "calm", "clever", "cool", "dazzling", "eager", "elastic", "epic", "festive",
    "focused", "gallant", "gentle", "happy", "hopeful", "jolly", "keen", "kind", "lucid", "modest", "nifty", "noble",
    "peaceful", "quirky", "relaxed", "serene", "sharp", "stoic", "sweet", "tender", "trusting", "vibrant", "wizardly",
    "youthful", "zealous",
];

const NOUNS: &[&str] = &[
    "albatross",
    "badger",
    "beaver",
    "bison",
    "cormorant",
    "crane",
    "dolphin",
    "egret",
    "falcon",
    "ferret",
    "gannet",
    "heron",
    "ibis",
    "kestrel",
    "lemur",
    "lynx",
    "marmot",
    "narwhal",
    "ocelot",
    "otter",
    "owl",
    "pelican",
    "puffin",
    "quokka",
    "raven",
    "seal",
    "shrew",
    "stork",
    "tern",
    "vole",
    "walrus",
    "wombat",
    "wren",
    "yak",
    "zebra",
];

/// Whether `name` is a valid container name (Docker's
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]+`, at most 128 bytes here).
pub fn valid_name(name: &str) -> bool {
    let b = name.as_bytes();
    b.len() >= 2
        && b.len() <= 128
        && b[0].is_ascii_alphanumeric()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
}

/// A generated name from `seed` (random bits); `attempt` > 0 appends a
/// number, as Docker does after a collision.
pub fn generate_name(seed: u64, attempt: u32) -> String {
    let adjective = ADJECTIVES[(seed % ADJECTIVES.len() as u64) as usize];
    let noun = NOUNS[((seed >> 16) % NOUNS.len() as u64) as usize];
    if attempt == 0 { format!("{adjective}_{noun}") } else { format!("{adjective}_{noun}{attempt}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_dockers_rule() {
        assert!(valid_name("web-1.a_b"));
        assert!(!valid_name("a"));
        assert!(!valid_name("-web"));
        assert!(!valid_name("we/b"));
        assert!(!valid_name(&"a".repeat(129)));
    }

    #[test]
    fn generated_names_are_valid() {
        for seed in [0u64, 1, 77, u64::MAX] {
            assert!(valid_name(&generate_name(seed, 0)));
            assert!(generate_name(seed, 3).ends_with('3'));
        }
    }
}
