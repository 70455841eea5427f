//! `team init`, `team status`, `team sync`, and secrets.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_machines_running_team_init_at_once_create_the_schema_once() {
    let Some(db) = pg::database() else { return };
    let portal = team_portal(Duration::ZERO).await;
    let machines: Vec<Machine> = (0..4).map(|i| Machine::new(&format!("host-{i}"))).collect();
    let children: Vec<_> = machines
        .iter()
        .map(|machine| {
            let mut cmd = machine.cmd(&portal, &db.url);
            cmd.args(["team", "init", "--json"]);
            spawn(&cmd)
        })
        .collect();
    let runs: Vec<Run> = children.into_iter().map(finish).collect();
    for run in &runs {
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.json()["schemaVersion"], 1, "{}", run.stdout);
    }
    let created = runs
        .iter()
        .filter(|run| run.json()["previousSchemaVersion"] == 0)
        .count();
    assert_eq!(
        created,
        1,
        "{runs:?}",
        runs = runs.iter().map(|r| &r.stdout).collect::<Vec<_>>()
    );
    let versions = pg::rows(&db.url, "SELECT version FROM linkus_schema");
    assert_eq!(versions, vec![vec![Some("1".to_owned())]]);
}
