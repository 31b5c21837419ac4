//! A small stream machine for the testkit's own tests.

use std::collections::VecDeque;
use std::time::Instant;
use weir_media::{Error, Level, Machine, Output, Rule, Violation};

pub static EMPTY_LINE: Rule = Rule {
    id: "test.line.empty",
    level: Level::Should,
    spec: "these tests",
    text: "A line is not empty.",
};

pub static COMPLETE: Rule = Rule {
    id: "test.line.complete",
    level: Level::Must,
    spec: "these tests",
    text: "The input holds whole lines, none of them `stop`.",
};

/// Reads `\n`-terminated lines: each line an event, an empty one a violation at its offset; a
/// line `?x` is a request that [`Lines::answer`] answers with `!x`; a line `stop` is an
/// error; input that ends inside a line is an error at the end.
#[derive(Default)]
pub struct Lines {
    line: Vec<u8>,
    offset: u64,
    out: VecDeque<Output<String>>,
}

impl Lines {
    pub fn answer(&mut self, request: &str) {
        if let Some(what) = request.strip_prefix('?') {
            let answer = format!("!{what}");
            self.out
                .push_back(Output::Transmit(answer.into_bytes().into()));
        }
    }
}

impl Machine for Lines {
    type Event = String;

    fn handle_input(&mut self, _now: Instant, input: &[u8]) -> Result<(), Error> {
        for &b in input {
            self.offset += 1;
            if b != b'\n' {
                self.line.push(b);
                continue;
            }
            let line = String::from_utf8_lossy(&std::mem::take(&mut self.line)).into_owned();
            if line == "stop" {
                return Err(Error::rule(&COMPLETE, self.offset, "stopped"));
            }
            if line.is_empty() {
                let v = Violation::new(&EMPTY_LINE, self.offset - 1, "an empty line");
                self.out.push_back(Output::Violation(v));
            } else {
                self.out.push_back(Output::Event(line));
            }
        }
        Ok(())
    }

    fn handle_end(&mut self, _now: Instant) -> Result<(), Error> {
        match self.line.is_empty() {
            true => Ok(()),
            false => Err(Error::rule(
                &COMPLETE,
                self.offset,
                "the input ends inside a line",
            )),
        }
    }

    fn poll_output(&mut self) -> Option<Output<String>> {
        self.out.pop_front()
    }

    fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    fn handle_timeout(&mut self, _now: Instant) {}
}
