//! Events as pushed ([`NewEvent`]) and as stored ([`Event`]).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Names one aggregate: the unit of consistency that a sequence counts.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AggregateRef {
    /// The tenant the aggregate belongs to.
    pub instance_id: String,
    /// The kind of aggregate, e.g. `user` or `org`.
    pub aggregate_type: String,
    /// The aggregate's id, unique within its type and instance.
    pub aggregate_id: String,
}

impl AggregateRef {
    /// Builds a reference from its three parts.
    pub fn new(
        instance_id: impl Into<String>,
        aggregate_type: impl Into<String>,
        aggregate_id: impl Into<String>,
    ) -> Self {
        Self {
            instance_id: instance_id.into(),
            aggregate_type: aggregate_type.into(),
            aggregate_id: aggregate_id.into(),
        }
    }
}

impl fmt::Display for AggregateRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{}/{}",
            self.instance_id, self.aggregate_type, self.aggregate_id
        )
    }
}

/// An event to append: what happened, who did it, and its JSON payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewEvent {
    /// Dotted, past-tense type, e.g. `user.human.added`.
    pub event_type: String,
    /// Version of the payload's schema, so readers can upcast old events.
    pub revision: u16,
    /// The event's data.
    pub payload: serde_json::Value,
    /// The actor (user or system id) that caused the event.
    pub creator: String,
}

impl NewEvent {
    /// An event of revision 1.
    pub fn new(
        event_type: impl Into<String>,
        payload: serde_json::Value,
        creator: impl Into<String>,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            revision: 1,
            payload,
            creator: creator.into(),
        }
    }
}

/// An event as stored: the pushed event plus where and when it landed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Place in the global order of all events of the store.
    pub position: Position,
    /// The aggregate the event belongs to.
    pub aggregate: AggregateRef,
    /// 1-based, gap-free count of the aggregate's events.
    pub sequence: u64,
    /// Dotted, past-tense type, e.g. `user.human.added`.
    pub event_type: String,
    /// Version of the payload's schema.
    pub revision: u16,
    /// The event's data.
    pub payload: serde_json::Value,
    /// The actor that caused the event.
    pub creator: String,
    /// When the event was stored (the pushing transaction's time).
    pub created_at: DateTime<Utc>,
}

/// Place of an event in the store's global order: the push (transaction) it
/// was written by, and its index inside that push. Totally ordered; a
/// follower's cursor.
///
/// Written as `"<tx>.<index>"` in text and JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// The push's transaction number (PostgreSQL: its transaction id).
    pub tx: i64,
    /// The event's index within its push, from 0.
    pub index: i32,
}

impl Position {
    /// The position before every event.
    pub const ZERO: Position = Position { tx: 0, index: 0 };

    /// Builds a position.
    pub fn new(tx: i64, index: i32) -> Self {
        Self { tx, index }
    }

    /// The position right after this one: an exclusive bound that takes
    /// this one in.
    pub fn next(self) -> Self {
        Self::new(self.tx, self.index.saturating_add(1))
    }

    /// The greatest position before this one: a cursor whose next read
    /// (after it, exclusive) starts at this one.
    pub fn previous(self) -> Self {
        if self.index > 0 {
            Self::new(self.tx, self.index - 1)
        } else {
            Self::new(self.tx - 1, i32::MAX)
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.tx, self.index)
    }
}

/// Why a text is not a [`Position`].
#[derive(Debug, thiserror::Error)]
#[error("invalid position {0:?}: expected \"<tx>.<index>\", e.g. \"1042.0\"")]
pub struct InvalidPosition(String);

impl FromStr for Position {
    type Err = InvalidPosition;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || InvalidPosition(s.to_owned());
        let (tx, index) = s.split_once('.').ok_or_else(bad)?;
        let tx = tx.parse::<i64>().map_err(|_| bad())?;
        let index = index.parse::<i32>().map_err(|_| bad())?;
        if tx < 0 || index < 0 {
            return Err(bad());
        }
        Ok(Self { tx, index })
    }
}

impl Serialize for Position {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Position {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn position_round_trips_through_text_and_orders_by_tx_then_index() {
        let p: Position = "1042.3".parse().unwrap();
        assert_eq!(p, Position::new(1042, 3));
        assert_eq!(p.to_string(), "1042.3");
        assert!(Position::new(1, 9) < Position::new(2, 0));
        assert!(Position::new(2, 0) < Position::new(2, 1));
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"1042.3\"");
    }

    #[test]
    fn malformed_position_says_what_is_expected() {
        let err = "12".parse::<Position>().unwrap_err().to_string();
        assert!(err.contains("expected \"<tx>.<index>\""), "{err}");
        assert!("-1.0".parse::<Position>().is_err());
    }
}
