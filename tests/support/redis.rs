//! A real `redis-server` for the origin cluster's tests: on a free loopback port, without
//! persistence (`--save '' --appendonly no`), stopped on drop; `redis-cli` to look inside.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use weir_testkit::{TempPath, peer};

pub struct Redis {
    child: Option<Child>,
    pub port: u16,
    dir: TempPath,
}

impl Redis {
    /// A server on a free port.
    pub fn start() -> Redis {
        let dir = TempPath::dir("redis");
        let mut redis = Redis {
            child: None,
            port: super::free_port(),
            dir,
        };
        redis.restart();
        redis
    }

    /// Starts the server (again) on its port, empty: nothing was saved.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "redis-server is running");
        let child = Command::new(peer::binary("REDIS_SERVER", "redis-server"))
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts (apt-get install redis-server, or ci/install-peers)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.cli(&["PING"]).trim() != "PONG" {
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server (SIGKILL: as a crash would) and waits for it.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Sends `signal` to the server (SIGSTOP: it hangs, connections open but unanswered).
    pub fn signal(&self, signal: i32) {
        let pid = self.child.as_ref().expect("redis-server runs").id();
        // SAFETY: kill(2) takes integers and touches no memory of this process.
        unsafe { libc::kill(pid as i32, signal) };
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }

    /// `redis-cli --raw ARGS`: its output ("" when the server does not answer).
    pub fn cli(&self, args: &[&str]) -> String {
        let (_, stdout, _) = super::run(
            Command::new(peer::binary("REDIS_CLI", "redis-cli"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "--raw"])
                .args(args),
            Duration::from_secs(10),
        );
        stdout
    }

    /// The value of `key`, if it exists.
    pub fn get(&self, key: &str) -> Option<String> {
        let value = self.cli(&["GET", key]);
        let value = value.trim_end_matches('\n');
        (!value.is_empty()).then(|| value.to_owned())
    }

    /// Polls (every 100 ms, at most `wait`) until `key`'s value satisfies `want`.
    pub fn wait_for(
        &self,
        key: &str,
        wait: Duration,
        what: &str,
        want: impl Fn(Option<&str>) -> bool,
    ) {
        let deadline = Instant::now() + wait;
        loop {
            let value = self.get(key);
            if want(value.as_deref()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{key}: not {what} within {wait:?} (it is {value:?}); keys: {}",
                self.cli(&["KEYS", "*"])
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.stop();
    }
}
