//! The store on a scratch directory: create, names, lookup by prefix,
//! update, rename, remove, leftovers of killed CLIs.

use super::*;
use crate::id::ContainerId;
use crate::spec::RunSpec;

fn spec() -> RunSpec {
    let mut s = RunSpec { hostname: "h".into(), ..RunSpec::zero_setup(&["true"]) };
    s.process.env = vec![];
    s
}

fn container(id: &str, name: &str) -> Container {
    Container {
        id: ContainerId::parse(&format!("{id:0<64}")).unwrap(),
        name: name.into(),
        image: String::new(),
        image_id: String::new(),
        spec: spec(),
        created: time::now(),
        restart: RestartPolicy::No,
        auto_remove: false,
        stop_signal: None,
        stop_timeout: None,
        labels: Default::default(),
        stdin_once: false,
        log: Default::default(),
        healthcheck: None,
        state: State::default(),
    }
}

fn scratch(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cove-store-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn names_ids_and_prefixes() {
    let dir = scratch("names");
    let store = ContainerStore::open(&dir).unwrap();
    store.create(container("abc1", "web")).unwrap();
    store.create(container("abc2", "")).unwrap();
    assert!(matches!(store.create(container("ffff", "web")), Err(Lookup::NameInUse { .. })));
    assert!(matches!(store.create(container("fffe", "we/b")), Err(Lookup::InvalidName(_))));
    assert_eq!(store.lookup("web").unwrap().id.as_str(), format!("{:0<64}", "abc1"));
    assert!(matches!(store.lookup("abc"), Err(Lookup::Ambiguous(_))));
    assert_eq!(store.lookup("abc2").unwrap().id.as_str(), format!("{:0<64}", "abc2"));
    assert!(valid_name(&store.lookup("abc2").unwrap().name), "generated name");
    assert!(matches!(store.lookup("nope"), Err(Lookup::NotFound(_))));
    assert!(matches!(store.lookup(""), Err(Lookup::NotFound(_))));
    let other = store.lookup("abc2").unwrap();
    assert!(matches!(store.rename(&other.id, "web"), Err(Lookup::NameInUse { .. })));
    store.rename(&other.id, "db").unwrap();
    assert_eq!(store.lookup("db").unwrap().id, other.id);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn updates_removes_and_sweeps() {
    let dir = scratch("update");
    let store = ContainerStore::open(&dir).unwrap();
    let c = store.create(container("1234", "one")).unwrap();
    store.update(&c.id, |r| r.state.exit_code = Some(3)).unwrap();
    assert_eq!(store.get(&c.id).unwrap().unwrap().state.exit_code, Some(3));
    // what a killed create or remove leaves is invisible, then swept
    std::fs::create_dir(dir.join("containers/.tmp-dead")).unwrap();
    std::fs::create_dir(dir.join("containers/.rm-dead")).unwrap();
    assert_eq!(store.list().unwrap().len(), 1);
    store.create(container("5678", "two")).unwrap();
    assert!(!dir.join("containers/.tmp-dead").exists() && !dir.join("containers/.rm-dead").exists());
    let lock = store.lock(&c.id).unwrap();
    store.remove(lock, &c.id).unwrap();
    assert!(store.get(&c.id).unwrap().is_none());
    assert!(matches!(store.update(&c.id, |_| ()), Err(Lookup::NotFound(_))));
    assert_eq!(store.list().unwrap().len(), 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

struct Dead;
impl Liveness for Dead {
    fn alive(&self, _: &ProcessRef) -> bool {
        false
    }
}

#[test]
fn a_dead_monitor_means_exited() {
    let mut c = container("9", "x");
    c.state.status = Some(Status::Running);
    c.state.monitor = Some(ProcessRef { pid: 1, start_time: 1, boot_id: "b".into() });
    assert_eq!(c.observed(&Dead), Status::Exited);
    assert!(c.monitor_lost(&Dead));
    assert!(c.running_init(&Dead).is_none());
    c.state.status = Some(Status::Exited);
    assert!(!c.monitor_lost(&Dead));
}

#[test]
fn volatile_records_lost_to_a_power_loss_are_no_containers() {
    let dir = scratch("volatile");
    let store = ContainerStore::open(&dir).unwrap().volatile();
    let c = store.create(container("cafe", "fg")).unwrap();
    store.update(&c.id, |r| r.state.status = Some(Status::Running)).unwrap();
    assert_eq!(store.get(&c.id).unwrap().unwrap().state.status, Some(Status::Running));
    // what a power loss may leave of an unsynced record: an empty file
    std::fs::write(store.dir_of(&c.id).join("container.json"), b"").unwrap();
    assert!(store.get(&c.id).unwrap().is_none());
    assert!(store.list().unwrap().is_empty());
    // the name is free again, and the next create sweeps the directory
    let durable = ContainerStore::open(&dir).unwrap();
    durable.create(container("beef", "fg")).unwrap();
    assert!(!durable.dir_of(&c.id).exists());
}
