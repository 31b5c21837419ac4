//! Real bytes from the public corpus: Flash SharedObject (.sol) files and Flash Remoting
//! (AMF0 packet) dumps decode completely, with their values pinned.
//!
//! The two container formats are read here, in test code: they are not RTMP's business.

use weir_amf0::{Limits, Value, amf3, decode, encode};

fn corpus(path: &str) -> Vec<u8> {
    weir_testkit::corpus::read(&format!("amf0/{path}"))
}

/// The names of the files in the corpus folder `amf0/{dir}`.
fn corpus_files(dir: &str) -> Vec<String> {
    weir_testkit::corpus::names(&format!("amf0/{dir}"), "")
}

/// A cursor for the container formats' own big-endian fields.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> &'a [u8] {
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        out
    }
    fn u16(&mut self) -> u16 {
        u16::from_be_bytes(self.take(2).try_into().unwrap())
    }
    fn u32(&mut self) -> u32 {
        u32::from_be_bytes(self.take(4).try_into().unwrap())
    }
    fn name(&mut self) -> String {
        let len = self.u16() as usize;
        String::from_utf8(self.take(len).to_vec()).unwrap()
    }
    /// A u32 byte length (0xFFFFFFFF: unknown) then one AMF0 value that must fill it.
    fn sized_value(&mut self, what: &str) -> Value {
        let len = self.u32();
        let start = self.pos;
        let value = self.value();
        if len != u32::MAX {
            assert_eq!(self.pos - start, len as usize, "{what}: length field");
        }
        value
    }
    /// One AMF0 value at the cursor, which must also survive an encode/decode round trip.
    fn value(&mut self) -> Value {
        let (value, used) = decode(&self.bytes[self.pos..], &Limits::default())
            .unwrap_or_else(|e| panic!("AMF0 value at byte {}: {e}", self.pos));
        self.pos += used;
        let mut again = Vec::new();
        encode(&value, &mut again);
        assert_eq!(
            decode(&again, &Limits::default()),
            Ok((value.clone(), again.len()))
        );
        value
    }
    fn at_end(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// A Flash SharedObject file: its name and its (name, value) slots.
fn read_sol(file: &str) -> (String, Vec<(String, Value)>) {
    let bytes = corpus(&format!("feathers-sol/{file}"));
    let mut c = Cursor {
        bytes: &bytes,
        pos: 0,
    };
    assert_eq!(c.take(2), [0x00, 0xBF], "LSO magic");
    assert_eq!(
        c.u32() as usize,
        bytes.len() - 6,
        "LSO length counts the rest of the file"
    );
    assert_eq!(c.take(4), b"TCSO");
    c.take(6);
    let name = c.name();
    assert_eq!(c.u32(), 0, "AMF version 0");
    let mut slots = Vec::new();
    while !c.at_end() {
        let slot = c.name();
        let value = c.value();
        assert_eq!(c.take(1), [0], "pad byte after slot {slot}");
        slots.push((slot, value));
    }
    (name, slots)
}

/// The single slot of a one-value demo file.
fn sol_value(file: &str, slot: &str) -> Value {
    let (name, mut slots) = read_sol(file);
    assert_eq!(format!("{name}.sol"), file);
    assert_eq!(slots.len(), 1, "{file} holds one slot");
    let (found, value) = slots.pop().unwrap();
    assert_eq!(found, slot);
    value
}

#[test]
fn every_sol_file_decodes() {
    let files = corpus_files("feathers-sol");
    for file in &files {
        let (_, slots) = read_sol(file);
        assert!(!slots.is_empty(), "{file}");
    }
    assert_eq!(files.len(), 13);
}

#[test]
fn sol_scalars() {
    assert_eq!(
        sol_value("AS2-Number-Demo.sol", "myFloat"),
        Value::Number(std::f64::consts::PI)
    );
    assert_eq!(
        sol_value("AS2-Integer-Demo.sol", "myInt"),
        Value::Number(7.0)
    );
    assert_eq!(
        sol_value("AS2-Boolean-Demo.sol", "myBool"),
        Value::Boolean(true)
    );
    assert_eq!(
        sol_value("AS2-String-Demo.sol", "myString"),
        Value::String("ralle".into())
    );
    assert_eq!(sol_value("AS2-Null-Demo.sol", "myNull"), Value::Null);
    assert_eq!(
        sol_value("AS2-Undefined-Demo.sol", "myUndefined"),
        Value::Undefined
    );
}

#[test]
fn sol_date_keeps_millis_and_timezone() {
    let Value::Date { millis, timezone } = sol_value("AS2-Date-Demo.sol", "myDate") else {
        panic!("not a date")
    };
    assert_eq!(millis, f64::from_bits(0x4274_835E_3A25_E000));
    assert_eq!(
        millis,
        1_409_653_383_774.0 /* 2014-09-02T10:23:03.774Z */
    );
    // Flash writes the local offset in minutes here although the spec reserves the field.
    assert_eq!(timezone, 240);
}

#[test]
fn sol_containers() {
    assert_eq!(
        sol_value("AS2-Object-Demo.sol", "myObject2"),
        Value::object([("p4", Value::Number(8.0)), ("p3", Value::from("hallo"))])
    );
    assert_eq!(
        sol_value("AS2-Array-Demo.sol", "myIntArray"),
        Value::EcmaArray(vec![
            ("0".into(), Value::Number(1.0)),
            ("1".into(), Value::Number(2.0)),
            ("2".into(), Value::Number(3.0)),
        ])
    );
    // The count field says 0 here although there are two entries: accepted as a hint.
    assert_eq!(
        sol_value("AS2-ECMAArray-Demo.sol", "myStringArray"),
        Value::EcmaArray(vec![
            ("one".into(), Value::from("eins")),
            ("two".into(), Value::from("zwei")),
        ])
    );
    assert_eq!(
        sol_value("AS2-TypedObject-Demo.sol", "myTypedObject"),
        Value::TypedObject {
            class: "AS2SolTestClass".into(),
            properties: vec![("foo".into(), Value::from("changed prop"))],
        }
    );
}

#[test]
fn sol_text() {
    assert_eq!(
        sol_value("AS2-XML-Demo.sol", "myXML"),
        Value::XmlDocument("<start><p>test</p><p>test2</p></start>".into())
    );
    let Value::LongString(text) = sol_value("AS2-LongString-Demo.sol", "myLongString") else {
        panic!("not a long string")
    };
    assert_eq!(text.len(), 0x1042D);
    assert!(text.starts_with("Lorem ipsum dolor sit amet"));
}

/// A Flash Remoting packet: version, headers and messages, each with its AMF0 value.
#[derive(Debug)]
struct Packet {
    version: u16,
    headers: Vec<(String, bool, Value)>,
    messages: Vec<(String, String, Value)>,
}

fn read_packet(file: &str) -> Packet {
    let bytes = corpus(&format!("pyamf-dumps/{file}"));
    let mut c = Cursor {
        bytes: &bytes,
        pos: 0,
    };
    let version = c.u16();
    let header_count = c.u16();
    let headers = (0..header_count)
        .map(|_| {
            let name = c.name();
            let must_understand = c.take(1)[0] != 0;
            let value = c.sized_value(&name);
            (name, must_understand, value)
        })
        .collect();
    let message_count = c.u16();
    let messages = (0..message_count)
        .map(|_| {
            let target = c.name();
            let response = c.name();
            let value = c.sized_value(&target);
            (target, response, value)
        })
        .collect();
    assert!(
        c.at_end(),
        "{file}: {} bytes left over",
        bytes.len() - c.pos
    );
    Packet {
        version,
        headers,
        messages,
    }
}

#[test]
fn every_remoting_dump_decodes() {
    let files = corpus_files("pyamf-dumps");
    for file in &files {
        let packet = read_packet(file);
        assert!(!packet.messages.is_empty(), "{file}");
    }
    assert_eq!(files.len(), 10);
}

/// The one message of a dump: (target, response, value).
fn only_message(file: &str) -> (String, String, Value) {
    let mut packet = read_packet(file);
    assert_eq!(packet.messages.len(), 1, "{file}");
    packet.messages.pop().unwrap()
}

#[test]
fn remoting_amf0_requests() {
    let (target, response, body) = only_message("basic.amf0");
    assert_eq!(
        (target.as_str(), response.as_str()),
        ("Service.evert", "/1")
    );
    assert_eq!(body, Value::StrictArray(vec![Value::from("yo")]));

    let (_, _, body) = only_message("customclass.amf0");
    assert_eq!(
        body,
        Value::StrictArray(vec![Value::object([
            ("attr1", Value::from("one")),
            ("attr2", Value::Number(1.0)),
        ])])
    );

    let (target, _, body) = only_message("test.amf0");
    assert!(
        target.ends_with("FlashDenizenManager.getGenres"),
        "{target}"
    );
    assert_eq!(
        body,
        Value::StrictArray(vec![
            Value::from("ThreeCardTrick"),
            Value::from("m8QAdOZx2maWhzKe")
        ])
    );

    // An object with no properties: the empty name and 0x09 straight away.
    assert_eq!(
        only_message("xml.amf0").2,
        Value::StrictArray(vec![Value::Object(vec![])])
    );

    for file in ["cfmx.amf0", "describeservice.amf0"] {
        let packet = read_packet(file);
        assert_eq!(packet.headers.len(), 1);
        assert_eq!(packet.headers[0].0, "DescribeService");
        assert_eq!(packet.headers[0].2, Value::Number(0.0));
        assert_eq!(packet.messages[0].2, Value::StrictArray(vec![]));
    }
}

#[test]
fn remoting_big_response_with_header_of_unknown_length() {
    let packet = read_packet("big.amf0");
    assert_eq!(packet.version, 0);
    let (name, must_understand, url) = &packet.headers[0];
    assert_eq!(
        (name.as_str(), *must_understand),
        ("ReplaceGatewayUrl", false)
    );
    assert!(
        url.as_str()
            .unwrap()
            .starts_with("http://www.filemobile.com/services/amf?")
    );
    let (target, _, body) = &packet.messages[0];
    assert_eq!(target, "/1/onResult");
    assert_eq!(body.get("numRows"), Some(&Value::Number(86.0)));
    let items = body
        .get("items")
        .and_then(Value::properties)
        .expect("items ECMA array");
    assert_eq!(items.len(), 86);
    assert_eq!(items[1].0, "1");
    assert_eq!(
        items[1].1.get("name").and_then(Value::as_str),
        Some("AbeFroman")
    );
    assert_eq!(items[0].1.get("id").and_then(Value::as_f64), Some(1622.0));
}

#[test]
fn remoting_amf3_bodies_go_through_the_switch() {
    let packet = read_packet("stdClass-req.amf");
    assert_eq!(packet.version, 3);
    let Value::StrictArray(args) = &packet.messages[0].2 else {
        panic!("not an array")
    };
    let [Value::Amf3(amf3::Value::Object(command))] = args.as_slice() else {
        panic!("not one AMF3 object: {args:?}")
    };
    assert_eq!(command.class, "flex.messaging.messages.CommandMessage");
    assert_eq!(command.sealed.len(), 9);
    assert_eq!(command.get("operation"), Some(&amf3::Value::Integer(12)));
    assert_eq!(
        command.get("headers").and_then(|h| h.get("DSId")),
        Some(&amf3::Value::String("nil".into()))
    );

    let (target, _, body) = only_message("stdClass-resp.amf");
    assert_eq!(target, "/7/onStatus");
    let Value::Amf3(amf3::Value::Object(error)) = body else {
        panic!("not an AMF3 object")
    };
    assert_eq!(error.class, "flex.messaging.messages.ErrorMessage");
    assert_eq!(
        error.get("faultString").and_then(amf3::Value::as_str),
        Some("Unsupported CommandMessage operation: 12")
    );
    // The request's messageId comes back as the correlationId.
    assert_eq!(error.get("correlationId"), command.get("messageId"));
    assert_eq!(
        error.get("headers"),
        Some(&amf3::Value::Object(amf3::Object {
            class: "stdClass".into(),
            ..Default::default()
        }))
    );
}
