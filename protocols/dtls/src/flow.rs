//! [`Flow`]: one DTLS association as a harness sees it — datagrams from the client and the
//! server in capture order — checked as far as the clear lets it: records, epoch-0 handshake
//! messages reassembled, the hellos compared (the server picks among the client's offers),
//! alerts and ChangeCipherSpec; protected records are counted, never judged.
//!
//! ```text
//! let mut flow = Flow::new(Side::Client, Limits::default());
//! flow.handle_datagram(now, Side::Client, &datagram);     // or handle_input: from Side::Client
//! while let Some(out) = flow.poll_output() {
//!     // Output::Event(Event::{Record, Handshake, ClientHello, Negotiated, Alert, ...}),
//!     // Output::Violation(v): v.offset is the datagram's index in the flow
//! }
//! ```

use crate::alert::Alert;
use crate::extension::{self, UseSrtp, types};
use crate::handshake::{Fragment, types as msg};
use crate::hello::{self, ClientHello, HelloVerifyRequest, ServerHello};
use crate::reassembly::{Message, Pushed, Reassembler};
use crate::record::{self, ContentType, Unit};
use crate::rules;
use bytes::Bytes;
use std::collections::VecDeque;
use std::time::Instant;
use weir_media::{Error, Machine, Output, Rule, Violation};

/// Who sent a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The DTLS client (sends the ClientHello).
    Client,
    /// The DTLS server.
    Server,
}

impl Side {
    fn index(self) -> usize {
        self as usize
    }
}

/// Bounds on what a peer can make the flow hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest handshake message reassembled (bytes); larger ones are not checked.
    pub max_message: usize,
    /// Handshake messages in reassembly at once, per side.
    pub max_pending: usize,
}

impl Default for Limits {
    /// 64 KiB messages (certificate chains fit), 16 in progress.
    fn default() -> Self {
        Limits {
            max_message: 1 << 16,
            max_pending: 16,
        }
    }
}

/// What the ServerHello settled, with the ClientHello it answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The protocol version (supported_versions' selection for DTLS 1.3).
    pub version: u16,
    /// The cipher suite.
    pub cipher_suite: u16,
    /// The SRTP protection profile (RFC 5764), when use_srtp was agreed.
    pub srtp_profile: Option<u16>,
    /// The server's MKI (usually empty).
    pub mki: Bytes,
    /// Both sides sent extended_master_secret (RFC 7627).
    pub extended_master_secret: bool,
    /// The server sent renegotiation_info (RFC 5746).
    pub renegotiation_info: bool,
}

/// What a [`Flow`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// An epoch-0 record.
    Record {
        /// Its sender.
        side: Side,
        /// What it holds.
        content_type: ContentType,
        /// The record version.
        version: u16,
        /// The 48-bit sequence number.
        sequence: u64,
        /// The fragment's length.
        length: usize,
    },
    /// A whole handshake message (each message once, however often it is retransmitted).
    Handshake {
        /// Its sender.
        side: Side,
        /// Its type (see [`crate::handshake::type_name`]).
        msg_type: u8,
        /// Its number.
        message_seq: u16,
        /// The body's length.
        length: usize,
    },
    /// A ClientHello, decoded.
    ClientHello(Box<ClientHello>),
    /// A ServerHello (or DTLS 1.3 HelloRetryRequest), decoded.
    ServerHello(Box<ServerHello>),
    /// A HelloVerifyRequest, decoded.
    HelloVerifyRequest(HelloVerifyRequest),
    /// What the ServerHello chose (not sent for a HelloRetryRequest).
    Negotiated(Negotiated),
    /// An alert in the clear.
    Alert {
        /// Its sender.
        side: Side,
        /// The alert.
        alert: Alert,
    },
    /// A ChangeCipherSpec: the sender's next records are protected.
    ChangeCipherSpec {
        /// Its sender.
        side: Side,
    },
    /// The first protected record of a side (epoch 1 or later, or a DTLS 1.3 unified
    /// header): it and what follows are counted, not checked.
    Encrypted {
        /// Its sender.
        side: Side,
        /// Whether it came with DTLS 1.3's unified header.
        unified: bool,
    },
    /// A handshake message over the limits: not reassembled, not checked.
    NotChecked {
        /// Its sender.
        side: Side,
        /// Its number.
        message_seq: u16,
    },
    /// At the end of the input: how many protected records each side sent.
    Finished {
        /// Protected records from the client.
        client_encrypted: u64,
        /// Protected records from the server.
        server_encrypted: u64,
    },
}

#[derive(Debug)]
struct SideState {
    reassembler: Reassembler,
    next_seq: u16,
    ccs: bool,
    encrypted: u64,
    /// Sent a handshake record in epoch 0.
    handshook: bool,
    /// The first record in a later epoch before the side's ChangeCipherSpec: datagram
    /// index, byte offset, epoch. Judged at the end, since datagrams may be reordered.
    early: Option<(u64, usize, u16)>,
}

/// The DTLS observer machine; see the [module docs](self).
#[derive(Debug)]
pub struct Flow {
    input_side: Side,
    limits: Limits,
    sides: [SideState; 2],
    client_hello: Option<ClientHello>,
    cookie: Option<Bytes>,
    datagrams: u64,
    out: VecDeque<Output<Event>>,
}

impl Flow {
    /// A flow whose [`Machine::handle_input`] datagrams come from `input_side`
    /// ([`handle_datagram`](Self::handle_datagram) takes either side).
    pub fn new(input_side: Side, limits: Limits) -> Self {
        let side = || SideState {
            reassembler: Reassembler::new(limits.max_message, limits.max_pending),
            next_seq: 0,
            ccs: false,
            encrypted: 0,
            handshook: false,
            early: None,
        };
        Flow {
            input_side,
            limits,
            sides: [side(), side()],
            client_hello: None,
            cookie: None,
            datagrams: 0,
            out: VecDeque::new(),
        }
    }

    /// How many protected records `side` sent so far.
    pub fn encrypted_records(&self, side: Side) -> u64 {
        self.sides[side.index()].encrypted
    }

    /// Takes one datagram `side` sent.
    pub fn handle_datagram(&mut self, _now: Instant, side: Side, datagram: &[u8]) {
        let index = self.datagrams;
        self.datagrams += 1;
        let mut violations = Vec::new();
        let units = record::parse_datagram(&Bytes::copy_from_slice(datagram), &mut violations);
        self.report(index, violations);
        for unit in units {
            match unit {
                Unit::Unified { .. } => self.encrypted(side, true),
                Unit::Record { offset, record } if record.epoch != 0 => {
                    let state = &mut self.sides[side.index()];
                    if !state.ccs && state.early.is_none() {
                        state.early = Some((index, offset, record.epoch));
                    }
                    self.encrypted(side, false);
                }
                Unit::Record { offset, record } => {
                    self.event(Event::Record {
                        side,
                        content_type: record.content_type,
                        version: record.version,
                        sequence: record.sequence,
                        length: record.fragment.len(),
                    });
                    let at = offset + record::HEADER_LEN;
                    match record.content_type {
                        ContentType::ChangeCipherSpec => {
                            if record.fragment[..] != [1] {
                                self.violation(
                                    &rules::RECORD_CCS,
                                    index,
                                    format!("byte {at}: {:02x?}", &record.fragment[..]),
                                );
                            }
                            self.sides[side.index()].ccs = true;
                            self.event(Event::ChangeCipherSpec { side });
                        }
                        ContentType::Alert => match Alert::parse(&record.fragment) {
                            Ok(alert) => self.event(Event::Alert { side, alert }),
                            Err(e) => self.error(index, at, e),
                        },
                        ContentType::Handshake => {
                            self.sides[side.index()].handshook = true;
                            self.handshake(index, at, side, &record.fragment)
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    fn handshake(&mut self, index: u64, at: usize, side: Side, payload: &Bytes) {
        let fragments = match Fragment::parse_all(payload) {
            Ok(f) => f,
            Err(e) => return self.error(index, at, e),
        };
        for fragment in fragments {
            let state = &mut self.sides[side.index()];
            let seq = fragment.message_seq;
            if !state.reassembler.is_done(seq) && seq > state.next_seq {
                let expected = state.next_seq;
                self.violation(
                    &rules::HANDSHAKE_MESSAGE_SEQ,
                    index,
                    format!("message_seq {seq} where {expected} is next"),
                );
            }
            let state = &mut self.sides[side.index()];
            state.next_seq = state.next_seq.max(seq.saturating_add(1));
            let mut violations = Vec::new();
            let pushed = state.reassembler.push(&fragment, index, &mut violations);
            self.out
                .extend(violations.into_iter().map(Output::Violation));
            match pushed {
                Pushed::Complete(message) => self.message(index, side, message),
                Pushed::Pending => {}
                Pushed::OverLimit => self.event(Event::NotChecked {
                    side,
                    message_seq: seq,
                }),
            }
        }
    }

    fn message(&mut self, index: u64, side: Side, message: Message) {
        self.event(Event::Handshake {
            side,
            msg_type: message.msg_type,
            message_seq: message.message_seq,
            length: message.body.len(),
        });
        match message.msg_type {
            msg::CLIENT_HELLO => match ClientHello::parse(&message.body) {
                Ok(hello) => self.client_hello(index, hello),
                Err(e) => self.error(index, 0, e),
            },
            msg::SERVER_HELLO => match ServerHello::parse(&message.body) {
                Ok(hello) => self.server_hello(index, hello),
                Err(e) => self.error(index, 0, e),
            },
            msg::HELLO_VERIFY_REQUEST => match HelloVerifyRequest::parse(&message.body) {
                Ok(hvr) => {
                    self.version(index, "HelloVerifyRequest", hvr.version);
                    // The server keeps no state for a HelloVerifyRequest (RFC 6347 §4.2.1): its
                    // ServerHello may number from 0 again, or go on from 1.
                    let state = &mut self.sides[side.index()];
                    state.reassembler =
                        Reassembler::new(self.limits.max_message, self.limits.max_pending);
                    state.next_seq = 1;
                    self.cookie = Some(hvr.cookie.clone());
                    self.event(Event::HelloVerifyRequest(hvr));
                }
                Err(e) => self.error(index, 0, e),
            },
            _ => {}
        }
    }

    fn version(&mut self, index: u64, what: &str, version: u16) {
        if version != record::DTLS_1_0 && version != record::DTLS_1_2 {
            self.violation(
                &rules::HELLO_VERSION,
                index,
                format!("{what} version 0x{version:04x}"),
            );
        }
    }

    fn duplicates(&mut self, index: u64, what: &str, list: &Option<Vec<extension::Extension>>) {
        for typ in hello::duplicates(list) {
            self.violation(
                &rules::EXTENSION_DUPLICATE,
                index,
                format!("{what} carries {} ({typ}) twice", extension::name(typ)),
            );
        }
    }

    fn client_hello(&mut self, index: u64, hello: ClientHello) {
        self.version(index, "ClientHello", hello.version);
        if !hello.compression_methods.contains(&0) {
            self.violation(
                &rules::HELLO_COMPRESSION,
                index,
                format!(
                    "ClientHello compression methods {:?} lack null",
                    &hello.compression_methods[..]
                ),
            );
        }
        self.duplicates(index, "ClientHello", &hello.extensions);
        if let Some(Err(e)) = hello.use_srtp() {
            self.error(index, 0, e);
        }
        if let Some(cookie) = &self.cookie
            && hello.cookie != *cookie
        {
            self.violation(
                &rules::HELLO_COOKIE_ECHO,
                index,
                format!(
                    "a ClientHello with a {}-byte cookie after a HelloVerifyRequest's {}-byte one",
                    hello.cookie.len(),
                    cookie.len()
                ),
            );
        }
        self.client_hello = Some(hello.clone());
        self.event(Event::ClientHello(Box::new(hello)));
    }

    fn server_hello(&mut self, index: u64, hello: ServerHello) {
        self.version(index, "ServerHello", hello.version);
        self.duplicates(index, "ServerHello", &hello.extensions);
        let retry = hello.is_hello_retry_request();
        let srtp = match hello.use_srtp() {
            Some(Ok(srtp)) => Some(srtp),
            Some(Err(e)) => {
                self.error(index, 0, e);
                None
            }
            None => None,
        };
        if let Some(client) = self.client_hello.clone() {
            self.compare(index, &client, &hello, retry, srtp.as_ref());
        }
        let client_ems = self
            .client_hello
            .as_ref()
            .is_some_and(|c| c.extension(types::EXTENDED_MASTER_SECRET).is_some());
        let negotiated = Negotiated {
            version: hello.negotiated_version(),
            cipher_suite: hello.cipher_suite,
            srtp_profile: srtp.as_ref().and_then(|s| s.profiles.first().copied()),
            mki: srtp.map(|s| s.mki).unwrap_or_default(),
            extended_master_secret: client_ems
                && hello.extension(types::EXTENDED_MASTER_SECRET).is_some(),
            renegotiation_info: hello.extension(types::RENEGOTIATION_INFO).is_some(),
        };
        self.event(Event::ServerHello(Box::new(hello)));
        if !retry {
            self.event(Event::Negotiated(negotiated));
        }
    }

    /// The server's choices against the client's offers.
    fn compare(
        &mut self,
        index: u64,
        client: &ClientHello,
        server: &ServerHello,
        retry: bool,
        srtp: Option<&UseSrtp>,
    ) {
        if !client.cipher_suites.contains(&server.cipher_suite) {
            self.violation(
                &rules::HELLO_CIPHER_SUITE,
                index,
                format!(
                    "ServerHello picks 0x{:04x} ({}), which the ClientHello did not offer",
                    server.cipher_suite,
                    hello::cipher_suite_name(server.cipher_suite)
                ),
            );
        }
        if !client
            .compression_methods
            .contains(&server.compression_method)
        {
            self.violation(
                &rules::HELLO_COMPRESSION,
                index,
                format!(
                    "ServerHello picks compression {}, which the ClientHello did not offer",
                    server.compression_method
                ),
            );
        }
        let scsv = client
            .cipher_suites
            .contains(&hello::EMPTY_RENEGOTIATION_INFO_SCSV);
        for e in server.extensions.iter().flatten() {
            let offered = client.extension(e.typ).is_some()
                || (e.typ == types::RENEGOTIATION_INFO && scsv)
                || (e.typ == types::COOKIE && retry);
            if !offered {
                self.violation(
                    &rules::EXTENSION_UNSOLICITED,
                    index,
                    format!(
                        "ServerHello carries {} ({}), which the ClientHello did not",
                        extension::name(e.typ),
                        e.typ
                    ),
                );
            }
        }
        let Some(srtp) = srtp else {
            return;
        };
        let offered = match client.use_srtp() {
            Some(Ok(c)) => c.profiles,
            _ => Vec::new(),
        };
        let fine = srtp.profiles.len() == 1 && offered.contains(&srtp.profiles[0]);
        if !fine {
            self.violation(
                &rules::USE_SRTP_PROFILE,
                index,
                format!(
                    "the server's use_srtp names {:04x?}; the client offered {:04x?}",
                    srtp.profiles, offered
                ),
            );
        }
    }

    fn encrypted(&mut self, side: Side, unified: bool) {
        let state = &mut self.sides[side.index()];
        state.encrypted += 1;
        if state.encrypted == 1 {
            self.event(Event::Encrypted { side, unified });
        }
    }

    fn event(&mut self, event: Event) {
        self.out.push_back(Output::Event(event));
    }

    fn violation(&mut self, rule: &'static Rule, index: u64, detail: String) {
        self.out
            .push_back(Output::Violation(Violation::new(rule, index, detail)));
    }

    /// A parse error at byte `at` of datagram `index`, as a violation.
    fn error(&mut self, index: u64, at: usize, e: Error) {
        let rule = e.rule.unwrap_or(&rules::HELLO_SYNTAX);
        self.violation(
            rule,
            index,
            format!("byte {}: {}", e.offset + at as u64, e.detail),
        );
    }

    /// Violations found at byte offsets of datagram `index`.
    fn report(&mut self, index: u64, violations: Vec<Violation>) {
        for v in violations {
            self.violation(v.rule, index, format!("byte {}: {}", v.offset, v.detail));
        }
    }
}

impl Machine for Flow {
    type Event = Event;

    /// One datagram from the side given to [`Flow::new`].
    fn handle_input(&mut self, now: Instant, input: &[u8]) -> Result<(), Error> {
        self.handle_datagram(now, self.input_side, input);
        Ok(())
    }

    /// Judges what needs the whole input (a side that went to a later epoch without a
    /// ChangeCipherSpec) and reports the encrypted counts.
    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        for i in 0..2 {
            let state = &self.sides[i];
            if let (true, false, Some((index, offset, epoch))) =
                (state.handshook, state.ccs, state.early)
            {
                self.violation(
                    &rules::RECORD_EPOCH,
                    index,
                    format!(
                        "byte {offset}: a record in epoch {epoch} from a side that handshook in epoch 0 and sent no ChangeCipherSpec"
                    ),
                );
            }
        }
        self.event(Event::Finished {
            client_encrypted: self.sides[0].encrypted,
            server_encrypted: self.sides[1].encrypted,
        });
        Ok(())
    }

    fn poll_output(&mut self) -> Option<Output<Event>> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Instant) {}
}
