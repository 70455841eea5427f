//! The decision's rules, one test each, over earlier orders built by hand.

use super::*;

const NOW: u64 = 1_795_000_000_000;
const HOUR: u64 = 3600 * 1000;

fn earlier(entry: &str, operation: Operation, age_ms: u64, status: Status) -> Earlier {
    Earlier {
        source: Source::Journal,
        entry: Some(entry.to_owned()),
        order_no: None,
        operation: Some(operation),
        plan_id: Some(PlanId::new(1)),
        status,
        at: Stamp::At {
            ms: NOW.saturating_sub(age_ms),
            clock: Clock::Local,
        },
        at_text: "2026-11-18T10:00:00.000Z".to_owned(),
        host: Some("build-1".to_owned()),
        user: Some("ana".to_owned()),
        pid: None,
    }
}

fn success(entry: &str, operation: Operation, age_ms: u64, order_no: &str) -> Earlier {
    Earlier {
        order_no: Some(order_no.to_owned()),
        ..earlier(entry, operation, age_ms, Status::Succeeded)
    }
}

fn open(entry: &str, order_no: &str, look: Look) -> Earlier {
    Earlier {
        order_no: Some(order_no.to_owned()),
        ..earlier(
            entry,
            Operation::Purchase,
            1000,
            Status::Open {
                status: "pending".to_owned(),
                look,
            },
        )
    }
}

fn ask<'a>(operation: Operation, again: &'a [String], pass: Pass) -> Ask<'a> {
    Ask {
        sn: "A1",
        operation,
        now: Now {
            local_ms: NOW,
            portal_ms: None,
        },
        again,
        pass,
        batch_row: false,
    }
}

fn check(earlier: &[Earlier], operation: Operation, again: &[String]) -> Result<(), Failure> {
    match decide(earlier, &ask(operation, again, Pass::Final)) {
        Decision::Clear => Ok(()),
        Decision::Blocked(block) => Err(block.failure(again)),
        Decision::Already(e) => panic!("already, outside a batch: {e:?}"),
    }
}

fn again(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

#[test]
fn an_unknown_outcome_blocks_every_operation_until_settled() {
    let unknown = [earlier("a", Operation::Purchase, 1000, Status::Unknown)];
    let failure = check(&unknown, Operation::Renew, &[]).unwrap_err();
    assert_eq!(failure.kind, Kind::Blocked);
    assert!(
        failure.message.contains("has no known outcome"),
        "{}",
        failure.message
    );
    assert!(failure.hints.join(" ").contains("--not-placed a"));
    let blocked_by = failure.blocked_by.unwrap();
    assert_eq!(blocked_by.entry.as_deref(), Some("a"));
    assert_eq!(blocked_by.source, Some("journal"));
    assert_eq!(blocked_by.host.as_deref(), Some("build-1"));
    // `--again` does not release an unknown outcome: only reconcile does.
    assert!(check(&unknown, Operation::Purchase, &again(&["a"])).is_err());
}

#[test]
fn an_intent_without_an_outcome_blocks_like_an_unknown_naming_run_host_and_time() {
    let mut in_flight = earlier("a", Operation::Purchase, 2 * 60 * 1000, Status::InFlight);
    in_flight.pid = Some(4242);
    let failure = check(&[in_flight.clone()], Operation::Switch, &[]).unwrap_err();
    for words in [
        "journal entry a",
        "pid 4242",
        "build-1",
        "2026-11-18T10:00:00.000Z",
        "2 min ago",
    ] {
        assert!(
            failure.message.contains(words),
            "{words}: {}",
            failure.message
        );
    }
    assert!(failure.hints.join(" ").contains("still going"));
    assert_eq!(failure.blocked_by.as_ref().unwrap().pid, Some(4242));
    assert_eq!(failure.blocked_by.unwrap().age, Some(120));
    // Its run is gone (no pid): it blocks all the same.
    in_flight.pid = None;
    let failure = check(&[in_flight], Operation::Switch, &[]).unwrap_err();
    assert!(!failure.hints.join(" ").contains("still going"));
    assert!(failure.hints.join(" ").contains("--not-placed a"));
}

#[test]
fn an_open_order_waits_for_its_look_up_then_blocks_while_open_or_unreachable() {
    let not_yet = [open("a", "LR1", Look::NotYet)];
    // Before the look-up, an open order is left for the pass that follows it.
    assert_eq!(
        decide(
            &not_yet,
            &ask(Operation::Purchase, &[], Pass::BeforeLookUps)
        ),
        Decision::Clear
    );
    // Not looked up at all (just before sending): it blocks.
    let failure = check(&not_yet, Operation::Purchase, &[]).unwrap_err();
    assert!(
        failure.message.contains("LR1 for SN A1 is still pending"),
        "{}",
        failure.message
    );
    let still = [open("a", "LR1", Look::StillOpen)];
    assert!(matches!(
        decide(&still, &ask(Operation::Purchase, &[], Pass::BeforeLookUps)),
        Decision::Blocked(_)
    ));
    let unreachable = [open("a", "LR1", Look::Failed("timed out".into()))];
    let failure = check(&unreachable, Operation::Purchase, &[]).unwrap_err();
    assert!(
        failure
            .message
            .contains("could not be looked up now (timed out)"),
        "{}",
        failure.message
    );
    // Settled by the look-up: it no longer blocks.
    let closed = [earlier("a", Operation::Purchase, 1000, Status::Closed)];
    assert!(check(&closed, Operation::Purchase, &[]).is_ok());
}

#[test]
fn a_recent_success_of_the_same_operation_blocks_unless_named() {
    let renewed = [success("a", Operation::Renew, 3 * HOUR, "LR9")];
    let failure = check(&renewed, Operation::Renew, &[]).unwrap_err();
    assert!(
        failure
            .message
            .contains("already had a renew that succeeded 3 h ago: order LR9"),
        "{}",
        failure.message
    );
    assert!(failure.hints.join(" ").contains("--again LR9"));
    assert_eq!(failure.blocked_by.unwrap().age, Some(3 * 3600));
    assert!(check(&renewed, Operation::Renew, &again(&["LR9"])).is_ok());
    assert!(check(&renewed, Operation::Renew, &again(&["lr9 "])).is_ok());
    assert!(check(&renewed, Operation::Renew, &again(&["LR8"])).is_err());
    // Several --again, one of them naming it.
    assert!(check(&renewed, Operation::Renew, &again(&["LR8", "LR9"])).is_ok());
    // Another operation is not blocked by it.
    assert!(check(&renewed, Operation::Switch, &[]).is_ok());
    // Nor is the same one after 24 hours, to the millisecond.
    let old = [success("a", Operation::Renew, RECENT_MS, "LR9")];
    assert!(check(&old, Operation::Renew, &[]).is_ok());
    let almost = [success("a", Operation::Renew, RECENT_MS - 1, "LR9")];
    assert!(check(&almost, Operation::Renew, &[]).is_err());
}

#[test]
fn a_success_whose_operation_is_not_known_blocks_every_operation() {
    let mut listed = success("a", Operation::Purchase, HOUR, "LR5");
    listed.operation = None;
    listed.source = Source::Portal;
    listed.entry = None;
    for operation in [Operation::Purchase, Operation::Renew, Operation::Switch] {
        let failure = check(&[listed.clone()], operation, &[]).unwrap_err();
        assert!(
            failure
                .message
                .contains("already had an order that succeeded 1 h ago"),
            "{}",
            failure.message
        );
        assert_eq!(failure.blocked_by.as_ref().unwrap().source, Some("portal"));
    }
    assert!(check(&[listed], Operation::Renew, &again(&["LR5"])).is_ok());
}

#[test]
fn a_success_whose_time_cannot_be_read_blocks_until_again_names_it() {
    let mut damaged = success("a", Operation::Renew, 0, "LR9");
    damaged.at = Stamp::Unreadable;
    damaged.at_text = "yesterday-ish".to_owned();
    let failure = check(&[damaged.clone()], Operation::Renew, &[]).unwrap_err();
    assert!(
        failure.message.contains("\"yesterday-ish\" cannot be read"),
        "{}",
        failure.message
    );
    assert!(!failure.message.contains(" ago"), "{}", failure.message);
    assert!(failure.hints.join(" ").contains("--again LR9"));
    assert_eq!(failure.blocked_by.unwrap().age, None);
    assert!(check(&[damaged.clone()], Operation::Renew, &again(&["LR9"])).is_ok());
    // Without an order number, the entry's ID releases it.
    damaged.order_no = None;
    let failure = check(&[damaged.clone()], Operation::Renew, &[]).unwrap_err();
    assert!(
        failure.hints.join(" ").contains("--again a"),
        "{:?}",
        failure.hints
    );
    assert!(check(&[damaged], Operation::Renew, &again(&["a"])).is_ok());
}

#[test]
fn a_success_in_the_future_blocks_without_an_impossible_age() {
    let mut future = success("a", Operation::Renew, 0, "LR9");
    future.at = Stamp::At {
        ms: u64::MAX,
        clock: Clock::Local,
    };
    let failure = check(&[future.clone()], Operation::Renew, &[]).unwrap_err();
    assert!(
        failure.message.contains("in the future"),
        "{}",
        failure.message
    );
    assert!(!failure.message.contains("h ago"), "{}", failure.message);
    assert_eq!(failure.blocked_by.unwrap().age, None);
    // Up to 5 minutes ahead is a clock difference: a success "just now".
    future.at = Stamp::At {
        ms: NOW + 5 * 60 * 1000,
        clock: Clock::Local,
    };
    let failure = check(&[future.clone()], Operation::Renew, &[]).unwrap_err();
    assert!(
        failure.message.contains("succeeded 1 min ago"),
        "{}",
        failure.message
    );
    future.at = Stamp::At {
        ms: NOW + 5 * 60 * 1000 + 1,
        clock: Clock::Local,
    };
    assert!(check(&[future], Operation::Renew, &[])
        .unwrap_err()
        .message
        .contains("in the future"));
}

#[test]
fn a_success_dated_before_linkus_existed_blocks_like_a_damaged_one() {
    let mut ancient = success("a", Operation::Renew, 0, "LR9");
    ancient.at = Stamp::At {
        ms: 0,
        clock: Clock::Local,
    };
    ancient.at_text = "1970-01-01T00:00:00Z".to_owned();
    let failure = check(&[ancient], Operation::Renew, &[]).unwrap_err();
    assert!(
        failure
            .message
            .contains("cannot be read as a possible time"),
        "{}",
        failure.message
    );
    assert!(!failure.message.contains(" ago"), "{}", failure.message);
}

#[test]
fn an_unknown_in_the_future_blocks_naming_it_without_an_age() {
    let mut unknown = earlier("a", Operation::Purchase, 0, Status::Unknown);
    unknown.at = Stamp::At {
        ms: u64::MAX,
        clock: Clock::Local,
    };
    let failure = check(&[unknown], Operation::Purchase, &[]).unwrap_err();
    assert!(
        failure.message.contains("a time in the future"),
        "{}",
        failure.message
    );
    assert!(!failure.message.contains(" ago"), "{}", failure.message);
}

#[test]
fn portal_times_are_compared_with_the_portals_clock() {
    let mut listed = success("a", Operation::Renew, 0, "LR9");
    listed.source = Source::Portal;
    // Made 23 h 55 min ago by the portal's clock; the local clock is 10 minutes fast.
    listed.at = Stamp::At {
        ms: NOW - 24 * HOUR + 5 * 60 * 1000,
        clock: Clock::Portal,
    };
    let mut ask = ask(Operation::Renew, &[], Pass::Final);
    ask.now = Now {
        local_ms: NOW + 10 * 60 * 1000,
        portal_ms: Some(NOW),
    };
    assert!(matches!(decide(&[listed], &ask), Decision::Blocked(_)));
}

#[test]
fn a_batch_row_reports_a_recent_success_of_its_operation_as_already_done() {
    let bought = [success("a", Operation::Purchase, HOUR, "LR7")];
    let mut ask = ask(Operation::Purchase, &[], Pass::BeforeLookUps);
    ask.batch_row = true;
    assert!(
        matches!(decide(&bought, &ask), Decision::Already(e) if e.order_no.as_deref() == Some("LR7"))
    );
    // A success of unknown operation still blocks the row.
    let mut any = success("a", Operation::Purchase, HOUR, "LR7");
    any.operation = None;
    assert!(matches!(decide(&[any], &ask), Decision::Blocked(_)));
}

#[test]
fn failures_and_refusals_do_not_block() {
    let closed = [
        earlier("a", Operation::Purchase, 1000, Status::Closed),
        earlier("b", Operation::Purchase, 500, Status::Closed),
    ];
    assert!(check(&closed, Operation::Purchase, &[]).is_ok());
}

#[test]
fn one_order_in_two_records_counts_once_with_its_settled_word() {
    let journal = success("a", Operation::Purchase, 25 * HOUR, "LR1");
    let record = Earlier {
        source: Source::Lock,
        ..earlier("a", Operation::Purchase, 25 * HOUR, Status::InFlight)
    };
    assert!(check(&[journal.clone(), record.clone()], Operation::Purchase, &[]).is_ok());
    assert!(check(&[record, journal.clone()], Operation::Purchase, &[]).is_ok());
    // The portal lists the same order: not counted twice (its age is the journal's).
    let mut listed = success("x", Operation::Purchase, HOUR, "lr1");
    listed.source = Source::Portal;
    listed.entry = None;
    listed.operation = None;
    assert!(check(&[journal, listed.clone()], Operation::Purchase, &[]).is_ok());
    // Alone, it blocks.
    assert!(check(&[listed], Operation::Purchase, &[]).is_err());
}

#[test]
fn the_newest_block_is_named_first() {
    let list = [
        success("a", Operation::Purchase, 5 * HOUR, "LR1"),
        earlier("b", Operation::Purchase, HOUR, Status::Unknown),
    ];
    let failure = check(&list, Operation::Purchase, &[]).unwrap_err();
    assert_eq!(failure.blocked_by.unwrap().entry.as_deref(), Some("b"));
}

#[test]
fn ages_read_as_a_person_would_say_them() {
    assert_eq!(age_text(0), "1 min ago");
    assert_eq!(age_text(59 * 60 * 1000), "59 min ago");
    assert_eq!(age_text(HOUR), "1 h ago");
    assert_eq!(age_text(71 * HOUR), "71 h ago");
    assert_eq!(age_text(72 * HOUR), "3 days ago");
}

#[test]
fn two_records_that_disagree_keep_the_first_settled_word() {
    let journal = success("a", Operation::Purchase, HOUR, "LR1");
    let record = Earlier {
        source: Source::Lock,
        ..earlier("a", Operation::Purchase, HOUR, Status::Closed)
    };
    // The journal's success is not undone by the record's other word.
    assert!(check(&[journal, record], Operation::Purchase, &[]).is_err());
}

#[test]
fn the_last_success_is_the_newest_of_that_operation_whatever_its_age() {
    let list = [
        success("a", Operation::Purchase, 50 * HOUR, "LR1"),
        success("b", Operation::Purchase, 30 * HOUR, "LR2"),
        success("c", Operation::Switch, 20 * HOUR, "LR3"),
        earlier("d", Operation::Purchase, 10 * HOUR, Status::Closed),
        earlier("e", Operation::Purchase, 5 * HOUR, Status::Unknown),
    ];
    let last = last_success(&list, Operation::Purchase).unwrap();
    assert_eq!(last.order_no.as_deref(), Some("LR2"));
    assert_eq!(
        last_success(&list, Operation::Switch)
            .unwrap()
            .order_no
            .as_deref(),
        Some("LR3")
    );
    assert!(last_success(&list, Operation::Renew).is_none());
    // A success whose operation the record cannot tell is not "this operation's".
    let mut any = success("f", Operation::Renew, HOUR, "LR4");
    any.operation = None;
    assert!(last_success(&[any], Operation::Renew).is_none());
}

#[test]
fn recorded_times_are_read_as_rfc_3339_or_not_at_all() {
    assert_eq!(
        parse_time_ms("2026-11-18T10:00:00.250Z"),
        Some(1_794_996_000_250)
    );
    assert_eq!(
        parse_time_ms(" 2026-11-18T10:00:00Z "),
        Some(1_794_996_000_000)
    );
    for bad in ["", "last tuesday", "12345", "2026-13-40T10:00:00Z"] {
        assert_eq!(parse_time_ms(bad), None, "{bad}");
    }
}

#[test]
fn a_time_ahead_is_said_in_minutes_then_hours_then_days() {
    const MIN: u64 = 60_000;
    assert_eq!(ahead_text(0), "1 min");
    assert_eq!(ahead_text(119 * MIN + 59_999), "119 min");
    assert_eq!(ahead_text(120 * MIN), "2 h");
    assert_eq!(ahead_text(72 * 60 * MIN - MIN), "71 h");
    assert_eq!(ahead_text(72 * 60 * MIN), "3 days");
    assert_eq!(ahead_text(10 * 1440 * MIN + 5), "10 days");
}

#[test]
fn an_unknown_dated_before_linkus_existed_says_not_a_possible_time() {
    let mut unknown = earlier("a", Operation::Purchase, 0, Status::Unknown);
    unknown.at = Stamp::At {
        ms: 1000,
        clock: Clock::Local,
    };
    unknown.at_text = "1970-01-01T00:00:01Z".to_owned();
    let failure = check(&[unknown], Operation::Purchase, &[]).unwrap_err();
    assert!(
        failure.message.contains("not a possible time"),
        "{}",
        failure.message
    );
    assert!(
        !failure.message.contains("in the future"),
        "{}",
        failure.message
    );
}

#[test]
fn an_intent_in_flight_says_no_outcome_yet_and_an_unknown_says_no_outcome() {
    let in_flight = earlier("a", Operation::Purchase, 60 * 1000, Status::InFlight);
    let failure = check(&[in_flight], Operation::Purchase, &[]).unwrap_err();
    assert!(
        failure.message.contains("has no known outcome yet"),
        "{}",
        failure.message
    );
    let unknown = earlier("a", Operation::Purchase, 60 * 1000, Status::Unknown);
    let failure = check(&[unknown], Operation::Purchase, &[]).unwrap_err();
    assert!(
        failure
            .message
            .contains("has no known outcome: it may have been placed"),
        "{}",
        failure.message
    );
}
