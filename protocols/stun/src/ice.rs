//! ICE connectivity checks (RFC 8445 §7.1, §7.2.2): the STUN Binding requests ICE agents
//! send each other, with PRIORITY, one role attribute, USE-CANDIDATE only from the
//! controlling agent, and short-term credentials.

use crate::attribute::{Attribute, types};
use crate::header::MessageType;
use crate::message::Message;
use crate::rules;
use weir_media::Violation;

/// An ICE agent's role, from the attribute its checks carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// ICE-CONTROLLING: the agent that nominates.
    Controlling,
    /// ICE-CONTROLLED.
    Controlled,
}

/// Whether `message` is an ICE connectivity check: a Binding request that carries any of
/// ICE's attributes (PRIORITY, USE-CANDIDATE, ICE-CONTROLLED, ICE-CONTROLLING).
pub fn is_connectivity_check(message: &Message) -> bool {
    message.message_type == MessageType::BINDING_REQUEST
        && message.attributes.iter().any(|a| {
            matches!(
                a,
                Attribute::Priority(_)
                    | Attribute::UseCandidate
                    | Attribute::IceControlled(_)
                    | Attribute::IceControlling(_)
            )
        })
}

/// The role a check announces, when it announces exactly one.
pub fn role(message: &Message) -> Option<Role> {
    match (
        message.has(types::ICE_CONTROLLING),
        message.has(types::ICE_CONTROLLED),
    ) {
        (true, false) => Some(Role::Controlling),
        (false, true) => Some(Role::Controlled),
        _ => None,
    }
}

/// Checks a Binding request known to be (or, with `ice` false, recognised by
/// [`is_connectivity_check`] as) an ICE connectivity check; reports at `offset`. Other
/// messages pass unchecked.
pub fn check(message: &Message, ice: bool, offset: u64, violations: &mut Vec<Violation>) {
    if message.message_type != MessageType::BINDING_REQUEST
        || !(ice || is_connectivity_check(message))
    {
        return;
    }
    let mut report = |rule, detail: &str| violations.push(Violation::new(rule, offset, detail));
    if !message.has(types::PRIORITY) {
        report(
            &rules::ICE_PRIORITY,
            "a connectivity check without PRIORITY",
        );
    }
    let controlling = message.has(types::ICE_CONTROLLING);
    let controlled = message.has(types::ICE_CONTROLLED);
    if controlling == controlled {
        report(
            &rules::ICE_ROLE,
            if controlling {
                "both ICE-CONTROLLING and ICE-CONTROLLED"
            } else {
                "neither ICE-CONTROLLING nor ICE-CONTROLLED"
            },
        );
    }
    if message.has(types::USE_CANDIDATE) && controlled && !controlling {
        report(
            &rules::ICE_USE_CANDIDATE,
            "USE-CANDIDATE from the controlled agent",
        );
    }
    if !message.has(types::USERNAME) || !message.has(types::MESSAGE_INTEGRITY) {
        report(
            &rules::ICE_CREDENTIALS,
            "a connectivity check without USERNAME and MESSAGE-INTEGRITY",
        );
    }
}
