//! A minimal RESP client over a unix socket for the tests that compare the `util` modules
//! with a live redis-server (`SHOAL_REDIS_ORACLE`).

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resp {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Resp>>),
}

pub struct Oracle {
    writer: UnixStream,
    reader: BufReader<UnixStream>,
}

/// Connects to `$SHOAL_REDIS_ORACLE`. These tests are `#[ignore]`d and run only when
/// asked for (scripts/test does); then a missing oracle is a failure, not a skip.
pub fn connect() -> Option<Oracle> {
    let path = std::env::var("SHOAL_REDIS_ORACLE")
        .expect("SHOAL_REDIS_ORACLE must name a redis-server unix socket");
    let writer = UnixStream::connect(&path).expect("connect to the oracle socket");
    let reader = BufReader::new(writer.try_clone().expect("clone socket"));
    Some(Oracle { writer, reader })
}

impl Oracle {
    pub fn call(&mut self, args: &[&[u8]]) -> Resp {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            out.extend_from_slice(arg);
            out.extend_from_slice(b"\r\n");
        }
        self.writer.write_all(&out).expect("write to oracle");
        self.read()
    }

    fn read(&mut self) -> Resp {
        let mut line = Vec::new();
        self.reader.read_until(b'\n', &mut line).expect("read");
        line.truncate(line.len().saturating_sub(2));
        let rest = String::from_utf8_lossy(&line[1..]).into_owned();
        match line[0] {
            b'+' => Resp::Simple(rest),
            b'-' => Resp::Error(rest),
            b':' => Resp::Int(rest.parse().expect("integer")),
            b'$' => {
                let Ok(len) = usize::try_from(rest.parse::<i64>().expect("len")) else {
                    return Resp::Bulk(None);
                };
                let mut body = vec![0u8; len + 2];
                self.reader.read_exact(&mut body).expect("bulk");
                body.truncate(len);
                Resp::Bulk(Some(body))
            }
            b'*' => {
                let Ok(count) = usize::try_from(rest.parse::<i64>().expect("count")) else {
                    return Resp::Array(None);
                };
                Resp::Array(Some((0..count).map(|_| self.read()).collect()))
            }
            other => panic!("unexpected RESP type {other}"),
        }
    }
}
