//! A reader for the JavaScript the videojs expectations are written in: one
//! `module.exports = <object literal>;` with `//` and `/* */` comments, single- or
//! double-quoted strings, bare or quoted keys, numbers, booleans, `null`, `undefined`,
//! `new Date('...')`, `new Uint32Array([...])` and trailing commas. Nothing more.

#[derive(Debug, Clone, PartialEq)]
pub enum Js {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Js>),
    Obj(Vec<(String, Js)>),
    /// `new Date('...')`: the string given.
    Date(String),
    /// `new Uint32Array([...])`.
    U32(Vec<u32>),
}

impl Js {
    pub fn get(&self, key: &str) -> Option<&Js> {
        match self {
            Js::Obj(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn num(&self) -> Option<f64> {
        match self {
            Js::Num(n) => Some(*n),
            _ => None,
        }
    }

    pub fn str(&self) -> Option<&str> {
        match self {
            Js::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn bool(&self) -> Option<bool> {
        match self {
            Js::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn arr(&self) -> &[Js] {
        match self {
            Js::Arr(items) => items,
            _ => &[],
        }
    }

    pub fn fields(&self) -> &[(String, Js)] {
        match self {
            Js::Obj(fields) => fields,
            _ => &[],
        }
    }
}

/// Reads `module.exports = ...;`.
pub fn read_module(text: &str) -> Result<Js, String> {
    let mut r = Reader {
        chars: text.chars().collect(),
        at: 0,
    };
    r.space();
    for word in ["module", ".", "exports", "="] {
        r.space();
        r.expect(word)?;
    }
    let value = r.value()?;
    r.space();
    r.eat(';');
    r.space();
    match r.at == r.chars.len() {
        true => Ok(value),
        false => Err(r.fail("text after the value")),
    }
}

struct Reader {
    chars: Vec<char>,
    at: usize,
}

impl Reader {
    fn fail(&self, what: &str) -> String {
        let line = 1 + self.chars[..self.at.min(self.chars.len())]
            .iter()
            .filter(|&&c| c == '\n')
            .count();
        format!("line {line}: {what}")
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.at).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.at += 1;
        }
        found
    }

    fn expect(&mut self, word: &str) -> Result<(), String> {
        for c in word.chars() {
            if !self.eat(c) {
                return Err(self.fail(&format!("expected {word:?}")));
            }
        }
        Ok(())
    }

    /// Skips whitespace and comments.
    fn space(&mut self) {
        loop {
            while self.peek().is_some_and(char::is_whitespace) {
                self.at += 1;
            }
            let rest = &self.chars[self.at..];
            if rest.starts_with(&['/', '/']) {
                while self.peek().is_some_and(|c| c != '\n') {
                    self.at += 1;
                }
            } else if rest.starts_with(&['/', '*']) {
                self.at += 2;
                while self.at < self.chars.len() && !self.chars[self.at..].starts_with(&['*', '/'])
                {
                    self.at += 1;
                }
                self.at = (self.at + 2).min(self.chars.len());
            } else {
                return;
            }
        }
    }

    fn value(&mut self) -> Result<Js, String> {
        self.space();
        match self.peek() {
            Some('{') => self.object(),
            Some('[') => Ok(Js::Arr(self.array()?)),
            Some('\'' | '"') => Ok(Js::Str(self.string()?)),
            Some(c) if c == '-' || c == '.' || c.is_ascii_digit() => self.number(),
            Some(_) => match self.word().as_str() {
                "true" => Ok(Js::Bool(true)),
                "false" => Ok(Js::Bool(false)),
                "null" | "undefined" => Ok(Js::Null),
                "new" => self.constructed(),
                other => Err(self.fail(&format!("unexpected {other:?}"))),
            },
            None => Err(self.fail("unexpected end")),
        }
    }

    fn constructed(&mut self) -> Result<Js, String> {
        self.space();
        let class = self.word();
        self.space();
        self.expect("(")?;
        self.space();
        let value = match class.as_str() {
            "Date" => Js::Date(self.string()?),
            "Uint32Array" => Js::U32(
                self.array()?
                    .iter()
                    .map(|v| {
                        v.num()
                            .map(|n| n as u32)
                            .ok_or("a non-number in a Uint32Array")
                    })
                    .collect::<Result<_, _>>()?,
            ),
            _ => return Err(self.fail(&format!("cannot construct {class}"))),
        };
        self.space();
        self.expect(")")?;
        Ok(value)
    }

    fn word(&mut self) -> String {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
        {
            self.at += 1;
        }
        self.chars[start..self.at].iter().collect()
    }

    fn string(&mut self) -> Result<String, String> {
        let quote = self.peek().ok_or_else(|| self.fail("expected a string"))?;
        self.at += 1;
        let mut out = String::new();
        loop {
            let c = self
                .peek()
                .ok_or_else(|| self.fail("unterminated string"))?;
            self.at += 1;
            match c {
                _ if c == quote => return Ok(out),
                '\\' => {
                    let e = self
                        .peek()
                        .ok_or_else(|| self.fail("unterminated escape"))?;
                    self.at += 1;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'u' => {
                            let hex: String = self.chars
                                [self.at..(self.at + 4).min(self.chars.len())]
                                .iter()
                                .collect();
                            self.at += 4;
                            let code = u32::from_str_radix(&hex, 16)
                                .map_err(|_| self.fail("bad \\u escape"))?;
                            out.push(char::from_u32(code).ok_or_else(|| self.fail("bad \\u"))?);
                        }
                        other => out.push(other),
                    }
                }
                _ => out.push(c),
            }
        }
    }

    fn number(&mut self) -> Result<Js, String> {
        let start = self.at;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E'))
        {
            self.at += 1;
        }
        let text: String = self.chars[start..self.at].iter().collect();
        text.parse()
            .map(Js::Num)
            .map_err(|_| self.fail(&format!("bad number {text:?}")))
    }

    fn array(&mut self) -> Result<Vec<Js>, String> {
        self.expect("[")?;
        let mut items = Vec::new();
        loop {
            self.space();
            if self.eat(']') {
                return Ok(items);
            }
            items.push(self.value()?);
            self.space();
            if !self.eat(',') {
                self.space();
                self.expect("]")?;
                return Ok(items);
            }
        }
    }

    fn object(&mut self) -> Result<Js, String> {
        self.expect("{")?;
        let mut fields = Vec::new();
        loop {
            self.space();
            if self.eat('}') {
                return Ok(Js::Obj(fields));
            }
            let key = match self.peek() {
                Some('\'' | '"') => self.string()?,
                _ => self.word(),
            };
            if key.is_empty() {
                return Err(self.fail("expected a key"));
            }
            self.space();
            self.expect(":")?;
            fields.push((key, self.value()?));
            self.space();
            if !self.eat(',') {
                self.space();
                self.expect("}")?;
                return Ok(Js::Obj(fields));
            }
        }
    }
}
