//! Commands (RTMP 1.0 §7.2): connect in its legal forms, the command sequences FFmpeg, OBS and
//! FMLE-style encoders send, and a command the server does not know.

use super::super::media::{self, Shape};
use super::super::rules as live;
use super::{Case, Outcome, Probe, Step, connect, player, publisher, wait_status};
use std::time::Duration;
use weir_amf0::Value;
use weir_rtmp::rules::{COMMAND_AMF, COMMAND_CONNECT_APP};
use weir_rtmp::session::{ClientEvent, ConnectForm, PublishKind, StreamData};

pub const CASES: &[Case] = &[
    Case {
        id: "connect.ecma-array",
        rules: &[&COMMAND_AMF, &COMMAND_CONNECT_APP],
        description: "connect whose command object is an ECMA array (legal AMF0 in its place) is accepted.",
        run: ecma_array,
    },
    Case {
        id: "connect.amf3",
        rules: &[&COMMAND_AMF, &COMMAND_CONNECT_APP],
        description: "connect sent as an AMF3 command message (type 17) is accepted.",
        run: amf3,
    },
    Case {
        id: "sequence.ffmpeg",
        rules: &[&live::COMMAND_FLOW, &live::FMLE_COMMANDS],
        description: "FFmpeg's publish (releaseStream, FCPublish, createStream, publish) and play (createStream, play -2000, buffer length), then FCUnpublish and deleteStream.",
        run: ffmpeg,
    },
    Case {
        id: "sequence.obs",
        rules: &[&live::COMMAND_FLOW, &live::RELAY],
        description: "OBS's publish with @setDataFrame onMetaData: a player that was waiting gets the metadata, then the media.",
        run: obs,
    },
    Case {
        id: "sequence.republish",
        rules: &[&live::COMMAND_FLOW],
        description: "An FMLE-style encoder stops (FCUnpublish, deleteStream) and publishes again on the same connection.",
        run: republish,
    },
    Case {
        id: "sequence.plain-publish",
        rules: &[&live::COMMAND_FLOW],
        description: "A publish with no releaseStream or FCPublish before it (rtmpdump, GStreamer) is accepted.",
        run: plain_publish,
    },
    Case {
        id: "command.unknown",
        rules: &[&live::UNKNOWN_COMMAND],
        description: "An unknown command is answered with _error or ignored, and the connection still publishes.",
        run: unknown,
    },
    Case {
        id: "command.create-stream-twice",
        rules: &[&live::STREAM_IDS],
        description: "Two createStream on one connection are answered with two different message stream ids, neither 0.",
        run: create_stream_twice,
    },
    Case {
        id: "sequence.delete-stream",
        rules: &[&live::STREAM_RELEASE],
        description: "A publisher sends deleteStream and keeps its connection open; another connection then publishes the same name.",
        run: delete_stream,
    },
    Case {
        id: "sequence.close-stream",
        rules: &[&live::STREAM_RELEASE],
        description: "A publisher sends closeStream on its stream and keeps its connection open; another connection then publishes the same name.",
        run: close_stream,
    },
    Case {
        id: "sequence.publisher-dropped",
        rules: &[&live::STREAM_RELEASE],
        description: "A publisher's TCP connection closes without a word; another connection then publishes the same name.",
        run: publisher_dropped,
    },
];

fn connect_as(probe: &Probe, form: ConnectForm) -> Step<Outcome> {
    connect(probe, |options, _| options.connect_form = form)?;
    Ok(Outcome::pass("NetConnection.Connect.Success"))
}

fn ecma_array(probe: &Probe) -> Step<Outcome> {
    connect_as(probe, ConnectForm::EcmaArray)
}

fn amf3(probe: &Probe) -> Step<Outcome> {
    connect_as(probe, ConnectForm::Amf3)
}

/// The onFCPublish and other commands the server sent, for the verdict's note.
fn commands_seen(conn: &super::Conn) -> Vec<String> {
    conn.events
        .iter()
        .filter_map(|e| match e {
            ClientEvent::Command { command, .. } => Some(command.name.clone()),
            ClientEvent::Status { status, .. } => Some(status.code.clone()),
            _ => None,
        })
        .collect()
}

fn ffmpeg(probe: &Probe) -> Step<Outcome> {
    let name = probe.stream("");
    let mut publisher = publisher(probe, &name, |options, _| {
        options.flash_ver = "FMLE/3.0 (compatible; Lavf59.27.100)".into();
    })?;
    let answers = commands_seen(&publisher);
    let mut player = super::super::conn::Conn::open(probe, |options, _| {
        options.flash_ver = "LNX 9,0,124,2".into();
    })?;
    player
        .session
        .play(&name, -2000.0)
        .map_err(|e| Outcome::error(e.to_string()))?;
    player.flush()?;
    let tags = media::stream(Shape {
        video_frames: 10,
        ..Shape::default()
    });
    player.until("createStream answered", |e| {
        matches!(e, ClientEvent::StreamCreated { .. })
    })?;
    let received = media::relay(&mut publisher, &mut player, &tags, Duration::from_millis(2))?;
    wait_status(&mut player, "NetStream.Play.Start")?;
    if let Err(differed) = media::compare(&tags, &received) {
        return Ok(Outcome::fail("the published media played", differed));
    }
    publisher
        .session
        .stop()
        .map_err(|e| Outcome::error(e.to_string()))?;
    publisher.flush()?;
    publisher.idle(Duration::from_millis(300))?;
    player.idle(Duration::from_millis(300))?;
    Ok(Outcome::pass(format!(
        "publisher heard {:?}; player played; after FCUnpublish and deleteStream the player heard {:?}",
        answers,
        player.status_codes()
    )))
}

fn obs(probe: &Probe) -> Step<Outcome> {
    let name = probe.stream("");
    let mut player = player(probe, &name, |_, _| {})?;
    let mut publisher = publisher(probe, &name, |options, _| {
        options.flash_ver = "FMLE/3.0 (compatible; FMSc/1.0)".into();
    })?;
    let metadata = Value::EcmaArray(vec![
        ("width".into(), Value::Number(320.0)),
        ("height".into(), Value::Number(240.0)),
        ("videocodecid".into(), Value::Number(7.0)),
        ("audiocodecid".into(), Value::Number(10.0)),
        (
            "encoder".into(),
            Value::string("weir probe (as obs-output module)"),
        ),
    ]);
    publisher
        .session
        .send_metadata(metadata)
        .map_err(|e| Outcome::error(e.to_string()))?;
    publisher.flush()?;
    let tags = media::stream(Shape {
        video_frames: 10,
        ..Shape::default()
    });
    let received = media::relay(&mut publisher, &mut player, &tags, Duration::from_millis(2))?;
    let got_metadata = player.events.iter().find_map(|e| match e {
        ClientEvent::Data {
            data: StreamData::Metadata(value),
            ..
        } => Some(value.clone()),
        _ => None,
    });
    let Some(value) = got_metadata else {
        return Ok(Outcome::fail(
            "onMetaData relayed to the player",
            "no onMetaData arrived",
        ));
    };
    let width = value.get("width").and_then(Value::as_f64);
    if width != Some(320.0) {
        return Ok(Outcome::fail(
            "onMetaData with width 320",
            format!("onMetaData {value:?}"),
        ));
    }
    Ok(match media::compare(&tags, &received) {
        Ok(matched) => Outcome::pass(format!("onMetaData relayed, then {matched}")),
        Err(differed) => Outcome::fail("the published media played", differed),
    })
}

fn republish(probe: &Probe) -> Step<Outcome> {
    let name = probe.stream("");
    let mut publisher = publisher(probe, &name, |_, _| {})?;
    publisher
        .session
        .stop()
        .map_err(|e| Outcome::error(e.to_string()))?;
    publisher.flush()?;
    publisher.idle(Duration::from_millis(200))?;
    publisher.events.clear();
    publisher
        .session
        .publish(&name, PublishKind::Live)
        .map_err(|e| Outcome::error(e.to_string()))?;
    publisher.flush()?;
    wait_status(&mut publisher, "NetStream.Publish.Start")?;
    Ok(Outcome::pass("published again on the same connection"))
}

fn plain_publish(probe: &Probe) -> Step<Outcome> {
    let name = probe.stream("");
    publisher(probe, &name, |options, _| options.fmle_publish = false)?;
    Ok(Outcome::pass("NetStream.Publish.Start"))
}

fn unknown(probe: &Probe) -> Step<Outcome> {
    let mut conn = connect(probe, |_, _| {})?;
    let txn = conn
        .session
        .send_command(0, "weirProbeUnknownCommand", vec![Value::Null])
        .map_err(|e| Outcome::error(e.to_string()))?;
    conn.flush()?;
    let answered = conn.until_within(Duration::from_secs(2), |e| {
        matches!(e, ClientEvent::Command { command, .. }
            if command.transaction_id == txn && (command.name == "_error" || command.name == "_result"))
    })?;
    let how = match answered {
        Some(ClientEvent::Command { command, .. }) => format!("answered {}", command.name),
        _ if conn.closed_within(Duration::from_millis(50)) => {
            return Ok(Outcome::fail(
                "_error, or nothing, and the connection kept",
                "the server closed the connection",
            ));
        }
        _ => "ignored it".to_owned(),
    };
    // The same connection must still publish.
    let name = probe.stream("");
    conn.session
        .publish(&name, PublishKind::Live)
        .map_err(|e| Outcome::error(e.to_string()))?;
    conn.flush()?;
    wait_status(&mut conn, "NetStream.Publish.Start")?;
    Ok(Outcome::pass(format!(
        "{how}, then published on the same connection"
    )))
}

fn create_stream_twice(probe: &Probe) -> Step<Outcome> {
    let mut conn = connect(probe, |_, _| {})?;
    let mut ids = Vec::new();
    for _ in 0..2 {
        let txn = conn
            .session
            .send_command(0, "createStream", vec![])
            .map_err(|e| Outcome::error(e.to_string()))?;
        conn.flush()?;
        let answer = conn.until(
            "createStream answered",
            |e| matches!(e, ClientEvent::Command { command, .. } if command.transaction_id == txn),
        )?;
        let ClientEvent::Command { command, .. } = answer else {
            unreachable!("filtered above")
        };
        match (command.name.as_str(), command.args.first()) {
            ("_result", Some(Value::Number(id))) => ids.push(*id),
            _ => {
                return Ok(Outcome::fail(
                    "_result with a stream id",
                    format!("{} {:?}", command.name, command.args),
                ));
            }
        }
    }
    Ok(if ids.contains(&0.0) || ids[0] == ids[1] {
        Outcome::fail("two different stream ids, neither 0", format!("{ids:?}"))
    } else {
        Outcome::pass(format!("stream ids {} and {}", ids[0], ids[1]))
    })
}

/// Another connection publishes `name` once the first publisher let it go.
fn republished_elsewhere(probe: &Probe, name: &str, how: &str) -> Step<Outcome> {
    // A server may end the publication a moment after the command: try for a second.
    let mut last = String::new();
    for _ in 0..4 {
        match publisher(probe, name, |_, _| {}) {
            Ok(_) => {
                return Ok(Outcome::pass(format!(
                    "after {how}, another connection published the name"
                )));
            }
            Err(Outcome::Fail { actual, .. }) => last = actual,
            Err(other) => return Err(other),
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    Ok(Outcome::fail(
        format!("the name free for another publisher after {how}"),
        last,
    ))
}

fn delete_stream(probe: &Probe) -> Step<Outcome> {
    let name = probe.stream("");
    let mut first = publisher(probe, &name, |_, _| {})?;
    first
        .session
        .stop()
        .map_err(|e| Outcome::error(e.to_string()))?;
    first.flush()?;
    first.idle(Duration::from_millis(200))?;
    republished_elsewhere(probe, &name, "deleteStream")
}

fn close_stream(probe: &Probe) -> Step<Outcome> {
    let name = probe.stream("");
    let mut first = publisher(probe, &name, |_, _| {})?;
    let stream_id = first
        .session
        .stream_id()
        .ok_or_else(|| Outcome::error("no stream id"))?;
    first
        .session
        .send_command(stream_id, "closeStream", vec![])
        .map_err(|e| Outcome::error(e.to_string()))?;
    first.flush()?;
    first.idle(Duration::from_millis(200))?;
    republished_elsewhere(probe, &name, "closeStream")
}

fn publisher_dropped(probe: &Probe) -> Step<Outcome> {
    let name = probe.stream("");
    let first = publisher(probe, &name, |_, _| {})?;
    drop(first);
    republished_elsewhere(probe, &name, "the publisher's connection closed")
}
