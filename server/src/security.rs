//! Who may publish and who may play, by client address: SRS's `security` rules
//! (`allow publish all`, `deny play 10.0.0.0/8`, `allow play 192.168.1.5`).
//!
//! Semantics, as SRS: when disabled everything is allowed; when enabled, a matching `deny` rule
//! denies, and if any `allow` rule names the action, at least one of them must match. (SRS also
//! denies when no `allow` rule names the action at all; we allow, so that a lone `deny` list
//! works as it reads.) IPv4-mapped IPv6 peers (`::ffff:a.b.c.d`, what a dual-stack socket
//! reports) match IPv4 rules.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// What a client asks to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Publish,
    Play,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Publish => "publish",
            Action::Play => "play",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a rule lets matching clients through or turns them away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    Deny,
}

/// The clients a rule is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peers {
    All,
    /// One address (kept as written so the rule prints back the same).
    Address(IpAddr),
    /// A network in CIDR notation; host bits, if written, are ignored.
    Network(IpNet),
}

impl Peers {
    fn contains(&self, ip: IpAddr) -> bool {
        match self {
            Peers::All => true,
            Peers::Address(address) => address.to_canonical() == ip,
            Peers::Network(net) => net.contains(&ip),
        }
    }
}

/// One `allow|deny publish|play all|ADDRESS|CIDR` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(into = "String")]
pub struct Rule {
    pub verdict: Verdict,
    pub action: Action,
    pub peers: Peers,
}

impl Rule {
    /// Whether this rule is about `action` and `ip` is among its peers (an IPv4-mapped IPv6
    /// address is also tried as the IPv4 address it carries).
    pub fn matches(&self, action: Action, ip: IpAddr) -> bool {
        self.action == action && (self.peers.contains(ip) || self.peers.contains(ip.to_canonical()))
    }
}

/// A rule that does not read as `allow|deny publish|play all|ADDRESS|CIDR`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("security rule {text:?}: {problem}")]
pub struct RuleError {
    pub text: String,
    pub problem: String,
}

impl FromStr for Rule {
    type Err = RuleError;

    fn from_str(text: &str) -> Result<Rule, RuleError> {
        let fail = |problem: String| RuleError {
            text: text.to_owned(),
            problem,
        };
        let words: Vec<&str> = text.split_whitespace().collect();
        let [verdict, action, peers] = words[..] else {
            return Err(fail(format!(
                "expected 3 words `allow|deny publish|play all|ADDRESS|CIDR`, found {}",
                words.len()
            )));
        };
        let verdict = match verdict {
            "allow" => Verdict::Allow,
            "deny" => Verdict::Deny,
            other => return Err(fail(format!("expected allow or deny, found {other:?}"))),
        };
        let action = match action {
            "publish" => Action::Publish,
            "play" => Action::Play,
            other => return Err(fail(format!("expected publish or play, found {other:?}"))),
        };
        let peers =
            if peers == "all" {
                Peers::All
            } else if peers.contains('/') {
                Peers::Network(peers.parse().map_err(|_| {
                    fail(format!("{peers:?} is not a CIDR network (e.g. 10.0.0.0/8)"))
                })?)
            } else {
                Peers::Address(peers.parse().map_err(|_| {
                    fail(format!(
                        "{peers:?} is not `all`, an IP address or a CIDR network"
                    ))
                })?)
            };
        Ok(Rule {
            verdict,
            action,
            peers,
        })
    }
}

/// Parsed inside the deserializer, so that a TOML error points at the rule's own line.
impl<'de> Deserialize<'de> for Rule {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Rule, D::Error> {
        struct RuleText;

        impl serde::de::Visitor<'_> for RuleText {
            type Value = Rule;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a rule `allow|deny publish|play all|ADDRESS|CIDR`")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Rule, E> {
                text.parse().map_err(E::custom)
            }
        }

        deserializer.deserialize_str(RuleText)
    }
}

impl From<Rule> for String {
    fn from(rule: Rule) -> String {
        rule.to_string()
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = match self.verdict {
            Verdict::Allow => "allow",
            Verdict::Deny => "deny",
        };
        write!(f, "{verdict} {} ", self.action)?;
        match self.peers {
            Peers::All => f.write_str("all"),
            Peers::Address(address) => write!(f, "{address}"),
            Peers::Network(net) => write!(f, "{net}"),
        }
    }
}

/// One `[security]` section (global or per vhost): whether the rules apply, and the rules,
/// parsed when the configuration is loaded (a bad rule is reported with its file line).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Security {
    pub enabled: bool,
    pub rules: Vec<Rule>,
}

/// Why a client was turned away; its Display goes to the log and the onStatus description.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{action} from {ip} {}", match .rule {
    Some(rule) => format!("denied by security rule \"{rule}\""),
    None => format!("not allowed: no \"allow {action}\" security rule matches"),
})]
pub struct Denied {
    pub action: Action,
    pub ip: IpAddr,
    /// The deny rule that matched; `None` when the client matched none of the allow rules.
    pub rule: Option<Rule>,
}

impl Security {
    /// Whether a client at `ip` may do `action`.
    pub fn check(&self, action: Action, ip: IpAddr) -> Result<(), Denied> {
        if !self.enabled {
            return Ok(());
        }
        let denied = |rule| Denied { action, ip, rule };
        let about = |verdict| {
            self.rules
                .iter()
                .filter(move |rule| rule.verdict == verdict && rule.action == action)
        };
        if let Some(rule) = about(Verdict::Deny).find(|rule| rule.matches(action, ip)) {
            return Err(denied(Some(*rule)));
        }
        let mut allows = about(Verdict::Allow).peekable();
        if allows.peek().is_some() && !allows.any(|rule| rule.matches(action, ip)) {
            return Err(denied(None));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng, rngs::StdRng};
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn security(rules: &[&str]) -> Security {
        Security {
            enabled: true,
            rules: rules.iter().map(|text| text.parse().unwrap()).collect(),
        }
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn disabled_allows_everything_even_with_deny_all() {
        let mut rules = security(&["deny publish all", "deny play all"]);
        rules.enabled = false;
        assert_eq!(rules.check(Action::Publish, ip("1.2.3.4")), Ok(()));
        assert_eq!(rules.check(Action::Play, ip("::1")), Ok(()));
    }

    #[test]
    fn enabled_without_rules_allows() {
        assert_eq!(security(&[]).check(Action::Play, ip("1.2.3.4")), Ok(()));
    }

    #[test]
    fn deny_wins_over_allow() {
        let rules = security(&["allow play all", "deny play 10.0.0.0/8"]);
        let denied = rules.check(Action::Play, ip("10.9.8.7")).unwrap_err();
        assert_eq!(denied.rule, Some("deny play 10.0.0.0/8".parse().unwrap()));
        assert_eq!(
            denied.to_string(),
            "play from 10.9.8.7 denied by security rule \"deny play 10.0.0.0/8\""
        );
        assert_eq!(rules.check(Action::Play, ip("11.0.0.1")), Ok(()));
        // Rules are per action: publishing is not restricted by play rules.
        assert_eq!(rules.check(Action::Publish, ip("10.9.8.7")), Ok(()));
    }

    #[test]
    fn allow_rules_make_a_whitelist_for_their_action() {
        let rules = security(&["allow publish 127.0.0.1", "allow publish 192.168.1.0/24"]);
        assert_eq!(rules.check(Action::Publish, ip("127.0.0.1")), Ok(()));
        assert_eq!(rules.check(Action::Publish, ip("192.168.1.200")), Ok(()));
        let denied = rules.check(Action::Publish, ip("192.168.2.1")).unwrap_err();
        assert_eq!(denied.rule, None);
        assert_eq!(
            denied.to_string(),
            "publish from 192.168.2.1 not allowed: no \"allow publish\" security rule matches"
        );
        // No allow rule names play, so play stays open.
        assert_eq!(rules.check(Action::Play, ip("8.8.8.8")), Ok(()));
    }

    #[test]
    fn ipv4_mapped_ipv6_peers_match_ipv4_rules() {
        let rules = security(&["deny play 10.0.0.0/8", "deny publish 1.2.3.4"]);
        assert!(rules.check(Action::Play, ip("::ffff:10.1.1.1")).is_err());
        assert!(rules.check(Action::Publish, ip("::ffff:1.2.3.4")).is_err());
        assert_eq!(rules.check(Action::Publish, ip("::ffff:1.2.3.5")), Ok(()));
        // A rule written as a mapped address matches the plain IPv4 peer too.
        let mapped = security(&["deny play ::ffff:5.6.7.8"]);
        assert!(mapped.check(Action::Play, ip("5.6.7.8")).is_err());
    }

    #[test]
    fn ipv6_rules() {
        let rules = security(&["deny play 2001:db8::/32", "allow play all"]);
        assert!(rules.check(Action::Play, ip("2001:db8::42")).is_err());
        assert_eq!(rules.check(Action::Play, ip("2001:db9::42")), Ok(()));
        assert_eq!(rules.check(Action::Play, ip("10.0.0.1")), Ok(()));
    }

    #[test]
    fn rules_print_back_as_written() {
        for text in [
            "allow publish all",
            "deny play 10.0.0.0/8",
            "allow play 192.168.1.5",
            "deny publish 2001:db8::/32",
            "allow play ::1",
        ] {
            assert_eq!(text.parse::<Rule>().unwrap().to_string(), text);
        }
        // Extra blanks are tolerated.
        assert_eq!(
            "  allow   play\tall ".parse::<Rule>().unwrap().to_string(),
            "allow play all"
        );
    }

    #[test]
    fn parse_errors_name_the_rule_and_the_problem() {
        let cases = [
            ("allow publish", "expected 3 words"),
            (
                "permit play all",
                "expected allow or deny, found \"permit\"",
            ),
            ("allow view all", "expected publish or play, found \"view\""),
            (
                "deny play 10.0.0.0/33",
                "\"10.0.0.0/33\" is not a CIDR network",
            ),
            (
                "deny play example.com",
                "\"example.com\" is not `all`, an IP address",
            ),
            ("deny play all extra", "found 4"),
        ];
        for (text, problem) in cases {
            let error = text.parse::<Rule>().unwrap_err();
            assert_eq!(error.text, text);
            let shown = error.to_string();
            assert!(
                shown.starts_with(&format!("security rule {text:?}: ")),
                "{shown}"
            );
            assert!(shown.contains(problem), "{shown} lacks {problem}");
        }
    }

    /// A CIDR rule matches exactly the addresses whose first `prefix` bits equal the network's,
    /// checked against plain integer masking on random networks and addresses (including
    /// addresses that differ from the network in exactly one bit, the edge cases).
    #[test]
    fn cidr_rule_matches_exactly_its_network() {
        let mut rng = StdRng::seed_from_u64(0x5eed_c1d7);
        for _ in 0..2_000 {
            let prefix = rng.random_range(0..=32u8);
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            let network: u32 = rng.random();
            let rule: Rule = format!("deny play {}/{prefix}", Ipv4Addr::from(network))
                .parse()
                .unwrap();
            let mut candidates = vec![rng.random::<u32>(), network, network ^ !mask];
            candidates.extend((0..32).map(|bit| network ^ (1 << bit)));
            for address in candidates {
                let expected = address & mask == network & mask;
                let v4 = IpAddr::V4(Ipv4Addr::from(address));
                assert_eq!(rule.matches(Action::Play, v4), expected, "{rule} vs {v4}");
                let mapped = IpAddr::V6(Ipv4Addr::from(address).to_ipv6_mapped());
                assert_eq!(
                    rule.matches(Action::Play, mapped),
                    expected,
                    "{rule} vs {mapped}"
                );
                assert!(!rule.matches(Action::Publish, v4));
            }
        }
        for _ in 0..2_000 {
            let prefix = rng.random_range(0..=128u8);
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            let network: u128 = rng.random();
            let rule: Rule = format!("allow publish {}/{prefix}", Ipv6Addr::from(network))
                .parse()
                .unwrap();
            let mut candidates = vec![rng.random::<u128>(), network, network ^ !mask];
            candidates.extend((0..128).map(|bit| network ^ (1 << bit)));
            for address in candidates {
                let expected = address & mask == network & mask;
                let v6 = IpAddr::V6(Ipv6Addr::from(address));
                // A mapped peer is also tried as IPv4, which can only add matches for IPv4
                // rules; these rules are IPv6, so the answer is the plain masking one.
                assert_eq!(
                    rule.matches(Action::Publish, v6),
                    expected,
                    "{rule} vs {v6}"
                );
            }
        }
    }
}
