//! The order journal, `orders.jsonl` in the data folder (CLI.md section 6).
//!
//! Before an order request is sent, an `intent` line is written and flushed to disk; after it,
//! an `outcome` line. If the process dies or the answer is lost in between, the intent stays
//! without a definitive outcome, and `linkus orders reconcile` settles it later. Each line is
//! one write, made under the file's lock and always starting on a fresh line, so that lines
//! of concurrent processes never interleave and a line torn by a full disk or a crash never
//! damages the lines after it. Nothing secret is ever written here.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use yeastar_partner::{BillingContactId, Operation, OrderState, OrderStatus, PlanId};

/// What a run meant to order, written before the order is sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Intent {
    pub id: String,
    /// When the intent was written, by the local clock (RFC 3339). Kept as text whatever an
    /// edit made of it: a time that cannot be read blocks the SN (fail closed), it never
    /// makes the line vanish.
    #[serde(default, deserialize_with = "lenient_text")]
    pub time: String,
    /// The same moment by the portal's clock (its `Date` header), where an answer gave it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portal_time: Option<String>,
    pub profile: String,
    pub base_url: String,
    pub sn: String,
    /// Lines written by linkus 0.1 have none: they were purchases.
    #[serde(default = "purchase", with = "operation_name")]
    pub operation: Operation,
    /// Sent with an `operationType` linkus does not know (`linkus api`): it counts as every
    /// operation, whatever `operation` says (older linkus reads `operation` alone).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub any_operation: bool,
    pub plan_id: PlanId,
    pub plan_name: String,
    pub billing_contact_id: BillingContactId,
    pub years: u8,
    pub po_number: Option<String>,
    /// The list-price total quoted before the order (`240.00 USD`), where the portal gave one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list_total: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// The machine and user of the run, to name them when the intent blocks another run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
}

/// Every operation: what an order of an operation linkus does not know is checked as.
pub const EVERY_OPERATION: [Operation; 3] =
    [Operation::Purchase, Operation::Renew, Operation::Switch];

impl Intent {
    /// The operations earlier orders are checked against for this intent: its own, or every
    /// one when it was sent with an operation linkus does not know.
    pub fn checked_as(&self) -> &[Operation] {
        if self.any_operation {
            &EVERY_OPERATION
        } else {
            std::slice::from_ref(&self.operation)
        }
    }
}

/// Any JSON value as text: a string as it is, a number or `true` as written, `null` empty.
fn lenient_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    Ok(match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::String(text) => text,
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    })
}

fn purchase() -> Operation {
    Operation::Purchase
}

mod operation_name {
    use super::*;

    pub fn serialize<S: Serializer>(
        operation: &Operation,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(operation.name())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Operation, D::Error> {
        let name = String::deserialize(deserializer)?;
        Operation::parse(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown operation {name:?}")))
    }
}

/// What became of an intent, as one word in the journal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub id: String,
    pub time: String,
    pub outcome: Word,
    pub order_no: Option<String>,
    pub order_status: Option<String>,
    pub request_id: Option<String>,
}

/// The journal's word for an outcome. Written as the strings linkus has always written
/// (`succeed`, `failed`, `rejected`, `not_sent`, `not_placed`, `unknown`, or an open status
/// such as `pending`), read back into this enum once, at the edge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Word {
    /// The order went through.
    Succeed,
    /// Created, and final without service (`failed`, `invalid`, `cancelled`, `refunded`:
    /// written as the portal's word).
    Failed(String),
    /// The portal refused it: nothing was bought.
    Rejected,
    /// It never left this machine.
    NotSent,
    /// Marked by the user as never placed (`orders reconcile --not-placed`).
    NotPlaced,
    /// Sent, and no definitive answer came back.
    Unknown,
    /// Created and not finished: the portal's status (`pending`, …), or `created` when it
    /// gave none.
    Open(String),
}

impl From<String> for Word {
    fn from(text: String) -> Word {
        let word = text.trim().to_ascii_lowercase();
        match word.as_str() {
            "succeed" => Word::Succeed,
            "failed" | "invalid" | "cancelled" | "canceled" | "refunded" => Word::Failed(word),
            "rejected" => Word::Rejected,
            "not_sent" => Word::NotSent,
            "not_placed" => Word::NotPlaced,
            "unknown" | "" => Word::Unknown,
            _ => Word::Open(text.trim().to_owned()),
        }
    }
}

impl From<Word> for String {
    fn from(word: Word) -> String {
        word.as_str().to_owned()
    }
}

impl Word {
    pub fn as_str(&self) -> &str {
        match self {
            Word::Succeed => "succeed",
            Word::Failed(word) | Word::Open(word) => word,
            Word::Rejected => "rejected",
            Word::NotSent => "not_sent",
            Word::NotPlaced => "not_placed",
            Word::Unknown => "unknown",
        }
    }

    /// The word for an order with this status.
    pub fn of(status: &OrderStatus) -> Word {
        match status.state() {
            OrderState::Succeeded => Word::Succeed,
            OrderState::Failed => Word::Failed(status.as_str().trim().to_ascii_lowercase()),
            OrderState::Open => Word::Open(status.as_str().to_owned()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "camelCase")]
pub enum Entry {
    Intent(Intent),
    Outcome(Outcome),
    /// Found later: by `orders reconcile`, by looking an open order up again, or marked
    /// `not_placed` by the user.
    Reconciled(Outcome),
}

/// Where an intent stands, from the last word about it.
#[derive(Debug, Clone, PartialEq)]
pub enum State {
    /// Written, and no word since: its run is sending it, or died while it did. It blocks
    /// like an unknown outcome, whether or not that run is alive.
    InFlight,
    /// `unknown`: it may or may not have been placed.
    Unknown,
    /// Created, not finished (`pending` and the like).
    Open {
        order_no: String,
        status: String,
    },
    Succeeded {
        order_no: Option<String>,
    },
    /// Settled without service, or never placed.
    Closed {
        outcome: Word,
    },
}

impl State {
    fn from_outcome(outcome: &Outcome) -> State {
        match &outcome.outcome {
            Word::Unknown => State::Unknown,
            Word::Succeed => State::Succeeded {
                order_no: outcome.order_no.clone(),
            },
            Word::Failed(_) | Word::Rejected | Word::NotSent | Word::NotPlaced => State::Closed {
                outcome: outcome.outcome.clone(),
            },
            Word::Open(status) => match &outcome.order_no {
                Some(order_no) if !order_no.trim().is_empty() => State::Open {
                    order_no: order_no.clone(),
                    status: status.clone(),
                },
                // Open without an order number: nothing to look up, so it may be anything.
                _ => State::Unknown,
            },
        }
    }

    /// Whether the intent still waits for a word that settles it.
    pub fn unsettled(&self) -> bool {
        matches!(self, State::InFlight | State::Unknown | State::Open { .. })
    }
}

/// An intent with the state its last word gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub intent: Intent,
    pub state: State,
}

/// A journal line that could not be read (torn by a crash or a full disk, or edited).
#[derive(Debug, Clone, PartialEq)]
pub struct Damaged {
    pub line: usize,
    pub text: String,
}

/// What reading a journal found.
#[derive(Debug, Default, Clone)]
pub struct Contents {
    pub entries: Vec<Entry>,
    pub damaged: Vec<Damaged>,
}

impl Contents {
    /// Every intent with the state its last word gives it, in the order written.
    pub fn intents(&self) -> Vec<Recorded> {
        let mut intents: Vec<Recorded> = Vec::new();
        let mut at: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
        for entry in &self.entries {
            match entry {
                Entry::Intent(intent) => {
                    if !at.contains_key(intent.id.as_str()) {
                        at.insert(&intent.id, intents.len());
                        intents.push(Recorded {
                            intent: intent.clone(),
                            state: State::InFlight,
                        });
                    }
                }
                Entry::Outcome(outcome) | Entry::Reconciled(outcome) => {
                    if let Some(index) = at.get(outcome.id.as_str()) {
                        intents[*index].state = State::from_outcome(outcome);
                    }
                }
            }
        }
        intents
    }

    /// The journal split by SN (upper case), so that many SNs are checked against one read.
    pub fn by_sn(&self) -> std::collections::HashMap<String, Contents> {
        let mut sns: std::collections::HashMap<String, String> = std::collections::HashMap::new();
        let mut split: std::collections::HashMap<String, Contents> =
            std::collections::HashMap::new();
        for entry in &self.entries {
            let sn = match entry {
                Entry::Intent(intent) => {
                    let sn = intent.sn.to_ascii_uppercase();
                    sns.insert(intent.id.clone(), sn.clone());
                    Some(sn)
                }
                Entry::Outcome(outcome) | Entry::Reconciled(outcome) => {
                    sns.get(&outcome.id).cloned()
                }
            };
            if let Some(sn) = sn {
                split.entry(sn).or_default().entries.push(entry.clone());
            }
        }
        split
    }

    /// Merges another journal's lines (the SN records beside the locks): lines already here
    /// are not repeated.
    pub fn merge(&mut self, other: Contents) {
        for entry in other.entries {
            if !self.entries.contains(&entry) {
                self.entries.push(entry);
            }
        }
        self.damaged.extend(other.damaged);
    }
}

pub fn new_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

pub struct Journal {
    path: PathBuf,
}

impl Journal {
    pub fn new(path: PathBuf) -> Self {
        Journal { path }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line in one write and flushes it to disk. Under the file's lock, the line
    /// starts on a fresh line even if the file ends in a torn one. Nothing else is read: an
    /// outcome needs no check, so a long journal costs it nothing.
    pub fn append(&self, entry: &Entry) -> Result<()> {
        let line = line_of(entry)?;
        self.locked(|file| {
            let ends_torn = match file.seek(SeekFrom::End(-1)) {
                Ok(_) => {
                    let mut last = [0u8; 1];
                    file.read_exact(&mut last)?;
                    last[0] != b'\n'
                }
                // An empty file: nothing before the line.
                Err(_) => false,
            };
            write_line(file, &line, ends_torn)
        })
        .with_context(|| format!("could not write the order journal {}", self.path.display()))
    }

    /// Reads the journal's lines about one SN and appends `entry` in one step under the
    /// file's lock: `check` sees every line about that SN written so far (see
    /// [`parse_for_sn`]; other SNs' lines are skipped unparsed), and the entry is written only
    /// if it passes. No other run can write between the read and the write, whatever its lock
    /// folder.
    pub fn claim_for_sn<E>(
        &self,
        entry: &Entry,
        sn: &str,
        check: impl FnOnce(&Contents) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<(), E>> {
        self.claim_with(entry, |bytes| parse_for_sn(bytes, sn), check)
    }

    fn claim_with<E>(
        &self,
        entry: &Entry,
        parse: impl FnOnce(&[u8]) -> Contents,
        check: impl FnOnce(&Contents) -> std::result::Result<(), E>,
    ) -> Result<std::result::Result<(), E>> {
        let line = line_of(entry)?;
        self.locked(|file| {
            let mut bytes = Vec::new();
            file.seek(SeekFrom::Start(0))?;
            file.read_to_end(&mut bytes)?;
            if let Err(refused) = check(&parse(&bytes)) {
                return Ok(Err(refused));
            }
            write_line(file, &line, bytes.last().is_some_and(|last| *last != b'\n'))?;
            Ok(Ok(()))
        })
        .with_context(|| format!("could not write the order journal {}", self.path.display()))
    }

    /// Runs `step` with the file open for reading and appending, under its exclusive lock.
    /// A file this call created has its folder flushed too, so that the file itself survives
    /// a crash, not only its lines.
    fn locked<T>(&self, step: impl FnOnce(&mut std::fs::File) -> Result<T>) -> Result<T> {
        let dir = self.path.parent();
        if let Some(dir) = dir {
            crate::files::ensure_private_dir(dir)?;
        }
        let existed = self.path.exists();
        let mut options = OpenOptions::new();
        options.create(true).read(true).append(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options
            .open(&self.path)
            .with_context(|| format!("could not open the order journal {}", self.path.display()))?;
        file.lock()?;
        let result = step(&mut file)?;
        if !existed {
            if let Some(dir) = dir {
                sync_dir(dir)?;
            }
        }
        Ok(result)
    }

    /// Every readable entry, and the lines that could not be read.
    pub fn read(&self) -> Result<Contents> {
        let Some(bytes) = crate::files::read_optional(&self.path)? else {
            return Ok(Contents::default());
        };
        Ok(parse(&bytes))
    }

    /// Every readable entry about one SN (see [`parse_for_sn`]).
    pub fn read_for_sn(&self, sn: &str) -> Result<Contents> {
        let Some(bytes) = crate::files::read_optional(&self.path)? else {
            return Ok(Contents::default());
        };
        Ok(parse_for_sn(&bytes, sn))
    }
}

fn line_of(entry: &Entry) -> Result<Vec<u8>> {
    let mut line = serde_json::to_vec(entry)?;
    line.push(b'\n');
    Ok(line)
}

/// Writes one line in one write, on a fresh line, and flushes it to disk.
fn write_line(file: &mut std::fs::File, line: &[u8], ends_torn: bool) -> Result<()> {
    let mut out = Vec::with_capacity(line.len() + 1);
    if ends_torn {
        out.push(b'\n');
    }
    out.extend_from_slice(line);
    file.write_all(&out)?;
    file.sync_data()?;
    Ok(())
}

/// Flushes a folder's entries (a new file's name) to disk.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> Result<()> {
    std::fs::File::open(dir)
        .and_then(|handle| handle.sync_all())
        .with_context(|| format!("could not flush the folder {}", dir.display()))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> Result<()> {
    Ok(())
}

/// Parses journal text leniently: a torn or foreign line is reported, not fatal.
pub fn parse(bytes: &[u8]) -> Contents {
    let mut contents = Contents::default();
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(line) {
            Ok(entry) => contents.entries.push(entry),
            Err(_) => contents.damaged.push(Damaged {
                line: index + 1,
                text: String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned(),
            }),
        }
    }
    contents
}

/// The lines about one SN, for the checks before an order: a line is parsed when its text
/// holds the SN (in any case), or names an intent such a line wrote (its outcomes); every other
/// line is skipped unparsed, so a long journal costs a scan, not a parse. A superset of the
/// SN's lines is fine (callers compare the SN exactly); a line of the SN is never left out,
/// because linkus writes the SN as its plain letters and digits. Damaged lines that hold the
/// SN are reported like [`parse`] does.
pub fn parse_for_sn(bytes: &[u8], sn: &str) -> Contents {
    let sn = sn.trim().to_ascii_lowercase();
    if sn.is_empty() {
        return parse(bytes);
    }
    let lower = bytes.to_ascii_lowercase();
    let finder = memchr::memmem::Finder::new(sn.as_bytes());
    let mut ids: Vec<String> = Vec::new();
    let mut contents = Contents::default();
    let mut start = 0;
    for (index, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let lower_line = &lower[start..start + line.len()];
        start += line.len() + 1;
        let names_an_intent = || {
            ids.iter()
                .any(|id| memchr::memmem::find(line, id.as_bytes()).is_some())
        };
        if finder.find(lower_line).is_none() && !names_an_intent() {
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<Entry>(line) {
            Ok(entry) => {
                // Every intent read, so that what is read stays whole: its outcomes too.
                if let Entry::Intent(intent) = &entry {
                    ids.push(intent.id.clone());
                }
                contents.entries.push(entry);
            }
            Err(_) => contents.damaged.push(Damaged {
                line: index + 1,
                text: String::from_utf8_lossy(&line[..line.len().min(120)]).into_owned(),
            }),
        }
    }
    contents
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    fn outcome_of_id(id: &str) -> Entry {
        Entry::Outcome(Outcome {
            id: id.to_owned(),
            time: "2026-11-29T10:00:01.000Z".to_owned(),
            outcome: Word::Succeed,
            order_no: Some(format!("LR{id}")),
            order_status: Some("succeed".to_owned()),
            request_id: None,
        })
    }

    fn with_sn(id: &str, sn: &str) -> Entry {
        let mut intent = intent(id);
        intent.sn = sn.to_owned();
        Entry::Intent(intent)
    }

    fn text(entries: &[Entry]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for entry in entries {
            bytes.extend(serde_json::to_vec(entry).unwrap());
            bytes.push(b'\n');
        }
        bytes
    }

    #[test]
    fn the_lines_of_one_sn_are_what_a_full_parse_gives_for_it() {
        let mut entries = Vec::new();
        for i in 0..50 {
            let sn = format!("PBX{:04}", i % 7);
            entries.push(with_sn(&format!("{i:016x}"), &sn));
            if i % 3 != 0 {
                entries.push(outcome_of_id(&format!("{i:016x}")));
            }
        }
        // Another SN that contains this one, a lower-case spelling, and a torn line of it.
        entries.push(with_sn("aa00000000000001", "XPBX0003Y"));
        entries.push(outcome_of_id("aa00000000000001"));
        entries.push(with_sn("aa00000000000002", "pbx0003"));
        let mut bytes = text(&entries);
        bytes.extend_from_slice(b"{\"event\":\"intent\",\"sn\":\"PBX0003\",\"id\":\"torn\n");
        bytes.extend(text(&[outcome_of_id("aa00000000000002")]));

        let full = parse(&bytes);
        let of_sn = |contents: &Contents| -> Vec<Recorded> {
            contents
                .intents()
                .into_iter()
                .filter(|r| r.intent.sn.eq_ignore_ascii_case("PBX0003"))
                .collect()
        };
        let scanned = parse_for_sn(&bytes, " pbx0003 ");
        assert_eq!(of_sn(&scanned), of_sn(&full));
        assert_eq!(of_sn(&full).len(), 8, "{:?}", of_sn(&full));
        // Much less is parsed than the whole file, and the torn line is still reported.
        assert!(scanned.entries.len() < full.entries.len() / 3);
        assert_eq!(scanned.damaged.len(), 1);
        assert_eq!(scanned.damaged[0].line, full.damaged[0].line);
        // An SN that nothing wrote: nothing parsed.
        assert!(parse_for_sn(&bytes, "NOPE1").entries.is_empty());
    }

    #[test]
    fn an_append_after_a_torn_line_starts_a_fresh_line_without_reading_the_journal() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("orders.jsonl");
        let journal = Journal::new(path.clone());
        journal.append(&with_sn("a", "A1")).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"{\"event\":\"outc")
            .unwrap();
        journal.append(&outcome_of_id("a")).unwrap();
        let read = journal.read().unwrap();
        assert_eq!(read.entries.len(), 2);
        assert_eq!(read.damaged.len(), 1);
        assert_eq!(
            read.intents()[0].state,
            State::Succeeded {
                order_no: Some("LRa".into())
            }
        );
    }

    pub fn intent(id: &str) -> Intent {
        Intent {
            id: id.to_owned(),
            time: "2026-11-29T10:00:00.000Z".to_owned(),
            profile: "default".to_owned(),
            base_url: "sandbox".to_owned(),
            sn: "369471667338".to_owned(),
            operation: Operation::Purchase,
            any_operation: false,
            plan_id: PlanId::new(3048918321840570368),
            plan_name: "Linkus Cloud Service".to_owned(),
            billing_contact_id: BillingContactId::new(3197218168379846218),
            years: 1,
            po_number: None,
            list_total: None,
            portal_time: None,
            pid: Some(42),
            host: None,
            user: None,
        }
    }

    fn outcome(id: &str, outcome: &str, order_no: Option<&str>) -> Outcome {
        Outcome {
            id: id.to_owned(),
            time: "2026-11-29T10:00:01.000Z".to_owned(),
            outcome: Word::from(outcome.to_owned()),
            order_no: order_no.map(str::to_owned),
            order_status: None,
            request_id: None,
        }
    }

    #[test]
    fn lines_round_trip_with_ids_as_strings() {
        let temp = tempfile::tempdir().unwrap();
        let journal = Journal::new(temp.path().join("orders.jsonl"));
        let mut written = intent("a");
        written.operation = Operation::Renew;
        written.po_number = Some("PO-7".to_owned());
        journal.append(&Entry::Intent(written.clone())).unwrap();
        journal
            .append(&Entry::Outcome(outcome("a", "succeed", Some("LR1"))))
            .unwrap();
        let text = std::fs::read_to_string(journal.path()).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.contains(r#""planId":"3048918321840570368""#), "{text}");
        assert!(text.contains(r#""operation":"renew""#), "{text}");
        let contents = journal.read().unwrap();
        assert!(contents.damaged.is_empty());
        // Read back, the intent is the one written, field for field.
        assert_eq!(contents.entries[0], Entry::Intent(written));
        assert_eq!(
            contents.intents()[0].state,
            State::Succeeded {
                order_no: Some("LR1".to_owned())
            }
        );
    }

    #[test]
    fn a_line_from_linkus_0_1_is_a_purchase() {
        let old = br#"{"event":"intent","id":"a","time":"2026-11-28T10:00:00Z","profile":"default","baseUrl":"sandbox","sn":"1","planId":"1","planName":"x","billingContactId":"2","years":1,"poNumber":null}"#;
        let contents = parse(old);
        assert!(contents.damaged.is_empty());
        let Recorded { intent, state } = &contents.intents()[0];
        assert_eq!(intent.operation, Operation::Purchase);
        // An intent with no outcome at all: in flight, which blocks like an unknown.
        assert_eq!(*state, State::InFlight);
    }

    #[test]
    fn the_last_word_decides_an_intents_state() {
        let entries = vec![
            Entry::Intent(intent("a")),
            Entry::Outcome(outcome("a", "succeed", Some("LR1"))),
            Entry::Intent(intent("b")),
            Entry::Outcome(outcome("b", "unknown", None)),
            Entry::Intent(intent("c")),
            Entry::Intent(intent("d")),
            Entry::Outcome(outcome("d", "unknown", None)),
            Entry::Reconciled(outcome("d", "pending", Some("LR4"))),
            Entry::Intent(intent("e")),
            Entry::Outcome(outcome("e", "pending", Some("LR5"))),
            Entry::Reconciled(outcome("e", "succeed", Some("LR5"))),
            Entry::Intent(intent("f")),
            Entry::Outcome(outcome("f", "unknown", None)),
            Entry::Reconciled(outcome("f", "not_placed", None)),
        ];
        let contents = Contents {
            entries,
            damaged: Vec::new(),
        };
        let states: Vec<(String, State)> = contents
            .intents()
            .into_iter()
            .map(|r| (r.intent.id, r.state))
            .collect();
        assert_eq!(states[1].1, State::Unknown);
        assert_eq!(states[2].1, State::InFlight);
        assert_eq!(
            states[3].1,
            State::Open {
                order_no: "LR4".into(),
                status: "pending".into()
            }
        );
        assert!(matches!(states[4].1, State::Succeeded { .. }));
        assert!(matches!(states[5].1, State::Closed { .. }));
    }

    #[test]
    fn every_outcome_word_reads_back_as_its_state() {
        let state = |word: &str, order_no: Option<&str>| {
            State::from_outcome(&Outcome {
                outcome: Word::from(word.to_owned()),
                ..outcome("a", word, order_no)
            })
        };
        let closed = |word: Word| State::Closed { outcome: word };
        assert_eq!(state("rejected", None), closed(Word::Rejected));
        assert_eq!(state("not_sent", None), closed(Word::NotSent));
        assert_eq!(state("not_placed", None), closed(Word::NotPlaced));
        assert_eq!(
            state("Refunded", Some("LR1")),
            closed(Word::Failed("refunded".into()))
        );
        assert_eq!(state("unknown", None), State::Unknown);
        assert_eq!(state("", Some("LR1")), State::Unknown);
        assert_eq!(
            state("succeed", Some("LR1")),
            State::Succeeded {
                order_no: Some("LR1".into())
            }
        );
        assert_eq!(
            state("pending", Some("LR1")),
            State::Open {
                order_no: "LR1".into(),
                status: "pending".into()
            }
        );
        // Open without an order number to look up: it may be anything.
        assert_eq!(state("pending", Some(" ")), State::Unknown);
        assert_eq!(state("pending", None), State::Unknown);
        // Written back as read.
        for word in [
            "succeed",
            "rejected",
            "not_sent",
            "not_placed",
            "unknown",
            "pending",
        ] {
            assert_eq!(String::from(Word::from(word.to_owned())), word);
        }
    }

    #[test]
    fn only_intents_without_a_settled_word_are_unsettled() {
        assert!(State::InFlight.unsettled());
        assert!(State::Unknown.unsettled());
        assert!(State::Open {
            order_no: "LR1".into(),
            status: "pending".into()
        }
        .unsettled());
        assert!(!State::Succeeded { order_no: None }.unsettled());
        assert!(!State::Closed {
            outcome: Word::NotPlaced
        }
        .unsettled());
    }

    #[test]
    fn entry_ids_are_sixteen_hex_digits_and_differ() {
        let ids: std::collections::HashSet<String> = (0..100).map(|_| new_id()).collect();
        assert_eq!(ids.len(), 100);
        assert!(ids
            .iter()
            .all(|id| id.len() == 16 && id.chars().all(|c| c.is_ascii_hexdigit())));
    }

    #[test]
    fn merging_a_record_adds_its_lines_once() {
        let mut journal = Contents {
            entries: vec![Entry::Intent(intent("a"))],
            damaged: Vec::new(),
        };
        journal.merge(Contents {
            entries: vec![
                Entry::Intent(intent("a")),
                Entry::Outcome(outcome("a", "succeed", Some("LR1"))),
            ],
            damaged: Vec::new(),
        });
        assert_eq!(journal.entries.len(), 2);
        assert!(matches!(
            journal.intents()[0].state,
            State::Succeeded { .. }
        ));
    }

    #[test]
    fn a_journal_splits_by_sn_with_each_intents_outcomes() {
        let mut other = intent("b");
        other.sn = "a1b2".to_owned();
        let contents = Contents {
            entries: vec![
                Entry::Intent(intent("a")),
                Entry::Intent(other),
                Entry::Outcome(outcome("b", "succeed", Some("LR2"))),
                Entry::Outcome(outcome("a", "unknown", None)),
                Entry::Outcome(outcome("zz", "succeed", None)),
            ],
            damaged: Vec::new(),
        };
        let split = contents.by_sn();
        assert_eq!(split.len(), 2);
        assert_eq!(split["369471667338"].entries.len(), 2);
        assert_eq!(
            split["A1B2"].intents()[0].state,
            State::Succeeded {
                order_no: Some("LR2".into())
            }
        );
    }

    /// A write cut short by a full disk: half a line, no newline.
    fn tear(journal: &Journal) {
        OpenOptions::new()
            .append(true)
            .open(journal.path())
            .unwrap()
            .write_all(br#"{"event":"outcome","id":"a","ti"#)
            .unwrap();
    }

    #[test]
    fn a_torn_last_line_never_swallows_the_next_one() {
        let temp = tempfile::tempdir().unwrap();
        let journal = Journal::new(temp.path().join("orders.jsonl"));
        journal.append(&Entry::Intent(intent("a"))).unwrap();
        tear(&journal);
        journal.append(&Entry::Intent(intent("b"))).unwrap();
        let contents = journal.read().unwrap();
        assert_eq!(contents.entries.len(), 2);
        assert_eq!(contents.damaged.len(), 1);
        assert_eq!(contents.damaged[0].line, 2);
        assert_eq!(contents.intents()[1].intent.id, "b");
    }

    #[test]
    fn a_claim_after_a_torn_line_starts_a_fresh_line() {
        let temp = tempfile::tempdir().unwrap();
        let journal = Journal::new(temp.path().join("orders.jsonl"));
        journal.append(&with_sn("a", "A1")).unwrap();
        tear(&journal);
        let claimed = journal
            .claim_for_sn(&with_sn("b", "A1"), "A1", |_| Ok::<(), ()>(()))
            .unwrap();
        assert_eq!(claimed, Ok(()));
        // And a claim after a whole line adds no empty line.
        journal
            .claim_for_sn(&with_sn("c", "A1"), "A1", |_| Ok::<(), ()>(()))
            .unwrap()
            .unwrap();
        let contents = journal.read().unwrap();
        assert_eq!(contents.damaged.len(), 1);
        let ids: Vec<String> = contents
            .intents()
            .into_iter()
            .map(|i| i.intent.id)
            .collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let text = std::fs::read_to_string(journal.path()).unwrap();
        assert_eq!(text.lines().count(), 4, "{text}");
        assert!(!text.contains("\n\n"), "{text}");
    }

    #[test]
    fn concurrent_appends_never_interleave() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("orders.jsonl");
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let path = path.clone();
                std::thread::spawn(move || {
                    let journal = Journal::new(path);
                    for i in 0..50 {
                        let mut entry = intent(&format!("{w}-{i}"));
                        entry.po_number = Some("x".repeat(2000));
                        journal.append(&Entry::Intent(entry)).unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        let contents = Journal::new(path).read().unwrap();
        assert!(contents.damaged.is_empty());
        assert_eq!(contents.entries.len(), 200);
    }

    proptest! {
        #[test]
        fn the_journal_reader_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = parse(&bytes).intents();
        }

        #[test]
        fn the_journal_reader_never_panics_on_jsonish_lines(lines in proptest::collection::vec(
            r#"\{("event":"(intent|outcome|reconciled)"|"id":"[a-z]{0,3}"|"planId":("[0-9]{0,22}"|[0-9]{0,22}|-?[0-9.e]{1,8})|"years":[0-9]{1,4}|,){0,8}\}?"#, 0..20)) {
            let text = lines.join("\n");
            let _ = parse(text.as_bytes()).intents();
        }
    }
}
