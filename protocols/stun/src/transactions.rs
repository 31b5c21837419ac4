//! Matching responses to requests (RFC 8489 §6.3): a response carries the transaction id and
//! the method of a request its receiver sent. The matcher remembers a bounded number of
//! requests (the oldest are forgotten first), so a long capture or a flood costs no more.

use crate::header::{Class, Method, TransactionId};
use crate::message::Message;
use crate::rules;
use std::collections::{HashMap, VecDeque};
use weir_media::Violation;

/// Requests seen in one direction, answered by responses in the other.
#[derive(Debug, Clone)]
pub struct Transactions {
    pending: HashMap<TransactionId, Method>,
    order: VecDeque<TransactionId>,
    limit: usize,
}

impl Default for Transactions {
    /// Remembers the last 1024 requests.
    fn default() -> Self {
        Self::new(1024)
    }
}

impl Transactions {
    /// A matcher that remembers the last `limit` requests (at least one).
    pub fn new(limit: usize) -> Self {
        Transactions {
            pending: HashMap::new(),
            order: VecDeque::new(),
            limit: limit.max(1),
        }
    }

    /// Notes a request one side sent (a retransmission keeps its place). Other classes are
    /// ignored.
    pub fn request(&mut self, message: &Message) {
        if message.message_type.class != Class::Request {
            return;
        }
        let id = message.transaction_id;
        if self
            .pending
            .insert(id, message.message_type.method)
            .is_none()
        {
            self.order.push_back(id);
            if self.order.len() > self.limit
                && let Some(old) = self.order.pop_front()
            {
                self.pending.remove(&old);
            }
        }
    }

    /// Checks a response the other side sent (reported at `offset`): it answers a noted
    /// request of the same method. Requests stay noted, since a retransmitted request is
    /// answered again. Returns whether it matched; other classes return `true`.
    pub fn response(
        &mut self,
        message: &Message,
        offset: u64,
        violations: &mut Vec<Violation>,
    ) -> bool {
        if !message.message_type.class.is_response() {
            return true;
        }
        let method = message.message_type.method;
        let detail = match self.pending.get(&message.transaction_id) {
            Some(&m) if m == method => return true,
            Some(&m) => format!(
                "a {method} response to transaction {} of a {m} request",
                message.transaction_id
            ),
            None => format!(
                "a {method} response to transaction {}, which no request started",
                message.transaction_id
            ),
        };
        violations.push(Violation::new(&rules::TRANSACTION_MATCH, offset, detail));
        false
    }

    /// How many requests are remembered.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether no request is remembered.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}
