//! Unit tests of `util::num`: parsers and formatters against Redis 7.0's answers, and
//! randomized comparisons with the C library oracle.

use super::*;

/// Expectations from Redis 7.0.15: `SET k <input>` then `INCRBY k 0` (an error there
/// means string2ll rejected the input).
#[test]
fn parse_i64_matches_string2ll() {
    let table: &[(&[u8], Option<i64>)] = &[
        (b"1", Some(1)),
        (b"0", Some(0)),
        (b"-1", Some(-1)),
        (b"9223372036854775807", Some(i64::MAX)),
        (b"-9223372036854775808", Some(i64::MIN)),
        (b"-0", None),
        (b"+1", None),
        (b" 1", None),
        (b"1 ", None),
        (b"01", None),
        (b"00", None),
        (b"", None),
        (b"-", None),
        (b"9223372036854775808", None),
        (b"-9223372036854775809", None),
        (b"18446744073709551615", None),
        (b"000000000000000000001", None),
        (b"1\0", None),
        (b"1.0", None),
        (b"99999999999999999999", None),
        (b"184467440737095516160", None),
    ];
    for (input, expected) in table {
        assert_eq!(parse_i64(input), *expected, "{:?}", input.escape_ascii());
    }
}

#[test]
fn parse_u64_is_string2ll_without_sign() {
    assert_eq!(parse_u64(b"0"), Some(0));
    assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
    assert_eq!(parse_u64(b"18446744073709551616"), None);
    assert_eq!(parse_u64(b"-1"), None);
    assert_eq!(parse_u64(b"+1"), None);
    assert_eq!(parse_u64(b"01"), None);
    assert_eq!(parse_u64(b""), None);
    assert_eq!(parse_u64(b"12a"), None);
}

/// Expectations from Redis 7.0.15: `ZADD z <input> m` then `ZSCORE z m` (None where
/// ZADD replied "ERR value is not a valid float").
#[test]
fn parse_f64_matches_string2d() {
    let table: &[(&[u8], Option<&str>)] = &[
        (b"1e3", Some("1000")),
        (b"inf", Some("inf")),
        (b"-inf", Some("-inf")),
        (b"+inf", Some("inf")),
        (b"infinity", Some("inf")),
        (b"INF", Some("inf")),
        (b"0x10", Some("16")),
        (b"0x1p3", Some("8")),
        (b"0X1P-2", Some("0.25")),
        (b"1e-310", Some("9.9999999999999694e-311")),
        (b"0e-400", Some("0")),
        (b".5", Some("0.5")),
        (b"5.", Some("5")),
        (b"+.5", Some("0.5")),
        (b"-.5e1", Some("-5")),
        (b"00012", Some("12")),
        (b"1e+3", Some("1000")),
        (b"nan", None),
        (b"-nan", None),
        (b" 1", None),
        (b"1 ", None),
        (b"\t1", None),
        (b"\n1", None),
        (b"  ", None),
        (b"1e400", None),
        (b"1e-400", None),
        (b"1e", None),
        (b"e1", None),
        (b"", None),
        (b"1\0x", None),
        (b"1,5", None),
        (b"1_0", None),
        (b"0x", None),
    ];
    for (input, expected) in table {
        let got = parse_f64(input).map(|v| {
            let mut text = Vec::new();
            format_double(&mut text, v);
            String::from_utf8(text).unwrap()
        });
        assert_eq!(got.as_deref(), *expected, "{:?}", input.escape_ascii());
    }
}

#[test]
fn parse_f64_has_no_length_limit() {
    // `ZADD z <20000-byte "000...1"> m` is accepted by Redis 7.0.15 (score 1).
    let mut long = vec![b'0'; 19_999];
    long.push(b'1');
    assert_eq!(parse_f64(&long), Some(1.0));
}

/// Expectations from Redis 7.0.15: `ZADD z 1 a 2 b` then `ZCOUNT z -inf <input>`
/// (None where it replied "ERR min or max is not a float").
#[test]
fn parse_f64_lenient_matches_range_parsing() {
    let table: &[(&[u8], Option<f64>)] = &[
        (b"", Some(0.0)),
        (b" 1", Some(1.0)),
        (b"1\0x", Some(1.0)),
        (b"1e500", Some(f64::INFINITY)),
        (b"1e-500", Some(0.0)),
        (b"0x1", Some(1.0)),
        (b"-inf", Some(f64::NEG_INFINITY)),
        (b"1 ", None),
        (b"(1", None),
        (b"nan", None),
        (b"-", None),
        (b"abc", None),
    ];
    for (input, expected) in table {
        assert_eq!(
            parse_f64_lenient(input),
            *expected,
            "{:?}",
            input.escape_ascii()
        );
    }
}

/// Expectations from Redis 7.0.15: `SET k 1` then `INCRBYFLOAT k <input>` and
/// `SET k <input>` then `INCRBYFLOAT k 0`.
#[test]
fn long_double_kind_matches_string2ld() {
    use LongDoubleKind::*;
    let table: &[(&[u8], LongDoubleKind)] = &[
        (b"1e3", Finite),
        (b"0x10", Finite),
        (b"1e400", Finite),
        (b"1e-400", Finite),
        (b"1e4000", Finite),
        (b"1e-4940", Finite),
        (b"inf", Infinite),
        (b"-inf", Infinite),
        (b"+inf", Infinite),
        (b"infinity", Infinite),
        (b"INF", Infinite),
        (b"1e5000", Invalid),
        (b"1e-4960", Invalid),
        (b"nan", Invalid),
        (b"-nan", Invalid),
        (b" 1", Invalid),
        (b"1 ", Invalid),
        (b"\t1", Invalid),
        (b"", Invalid),
        (b"1\0x", Invalid),
        (b"0x", Invalid),
        (b"1e", Invalid),
    ];
    for (input, expected) in table {
        assert_eq!(
            long_double_kind(input),
            *expected,
            "{:?}",
            input.escape_ascii()
        );
    }
}

#[test]
fn long_double_inputs_of_5120_bytes_are_rejected() {
    // Redis 7.0.15: INCRBYFLOAT by "000...1" works at 5119 bytes, fails at 5120.
    let digits = |len: usize| {
        let mut v = vec![b'0'; len - 1];
        v.push(b'1');
        v
    };
    assert_eq!(incr_by_float(b"0", &digits(5119)).unwrap(), b"1");
    assert_eq!(
        incr_by_float(b"0", &digits(5120)),
        Err(IncrFloatError::IncrNotFloat)
    );
    assert_eq!(
        incr_by_float(&digits(5120), b"0"),
        Err(IncrFloatError::CurrentNotFloat)
    );
}

/// Expectations from Redis 7.0.15: `SET k <current>` then `INCRBYFLOAT k <incr>`.
#[test]
fn incr_by_float_matches_redis() {
    let table: &[(&str, &str, &str)] = &[
        ("1", "-1.1", "-0.1"),
        ("10.5", "0.1", "10.6"),
        ("10.5", "5.0e3", "5010.5"),
        ("0", "0.1", "0.1"),
        ("0.1", "0.2", "0.3"),
        ("3", "-3", "0"),
        ("-0", "0", "0"),
        ("0", "-0", "0"),
        ("1", "1e-20", "1"),
        ("1e20", "1", "100000000000000000000"),
        ("5.0e3", "2.0e2", "5200"),
        ("0", "1e-4940", "0"),
        ("123456789012345678", "1", "123456789012345679"),
        ("0.5", "1e17", "100000000000000000.5"),
        ("1", "0x1p-3", "1.125"),
        ("-5", "2.5", "-2.5"),
        ("1.23456789012345678", "0", "1.23456789012345678"),
        ("100", "-99.99", "0.01"),
        ("0", "3.0", "3"),
        ("2", "-0.0000000000000000001", "2"),
        ("0", "1e-17", "0.00000000000000001"),
        ("0", "1e-18", "0"),
        ("0", "5e-18", "0"),
        ("0", "-5e-18", "0"),
        ("0", "-6e-18", "-0.00000000000000001"),
        ("9223372036854775807", "1", "9223372036854775808"),
        ("1", "1e3", "1001"),
        ("1", "0x10", "17"),
        ("1", "1e-400", "1"),
        ("1", "00012", "13"),
        ("1", "-.5e1", "-4"),
    ];
    for (current, incr, expected) in table {
        let got = incr_by_float(current.as_bytes(), incr.as_bytes());
        assert_eq!(
            got.as_deref(),
            Ok(expected.as_bytes()),
            "{current} + {incr}"
        );
    }
}

/// Expectations from Redis 7.0.15 (`SET k 1.7976931348623157e308` then
/// `INCRBYFLOAT k 1.7976931348623157e308`, and `SET k 1e4931`, `INCRBYFLOAT k
/// 1e4931`): sums beyond f64 range are fine in long double and printed in full.
#[test]
fn incr_by_float_uses_long_double_range() {
    let sum = incr_by_float(b"1.7976931348623157e308", b"1.7976931348623157e308").unwrap();
    assert!(sum.starts_with(b"35953862697246313999184209354820886809677289388865835697"));
    assert_eq!(sum.len(), 309);
    let sum = incr_by_float(b"1e4931", b"1e4931").unwrap();
    assert!(sum.starts_with(b"200000000000000000001203789877592778264767554850906622954"));
    assert_eq!(sum.len(), 4932);
    let sum = incr_by_float(b"1", b"-1e4932").unwrap();
    assert!(sum.starts_with(b"-100000000000000000000601894938796389132383777425453311"));
    assert_eq!(sum.len(), 4934);
}

/// Expectations from Redis 7.0.15 INCRBYFLOAT and HINCRBYFLOAT error replies.
#[test]
fn incr_by_float_errors_map_to_redis_texts() {
    use IncrFloatError::*;
    let table: &[(&[u8], &[u8], IncrFloatError)] = &[
        (b"1", b"inf", NanOrInfinity),
        (b"inf", b"0", NanOrInfinity),
        (b"inf", b"-inf", NanOrInfinity),
        (b"1e4932", b"1e4932", NanOrInfinity),
        (b"1", b"nan", IncrNotFloat),
        (b"1", b" 1", IncrNotFloat),
        (b"1", b"", IncrNotFloat),
        (b"abc", b"1", CurrentNotFloat),
        (b"abc", b"xyz", CurrentNotFloat),
    ];
    for (current, incr, expected) in table {
        assert_eq!(incr_by_float(current, incr), Err(*expected));
    }
    assert_eq!(
        NanOrInfinity.incrbyfloat_message(),
        "ERR increment would produce NaN or Infinity"
    );
    assert_eq!(
        CurrentNotFloat.incrbyfloat_message(),
        "ERR value is not a valid float"
    );
    assert_eq!(
        IncrNotFloat.incrbyfloat_message(),
        "ERR value is not a valid float"
    );
    assert_eq!(
        CurrentNotFloat.hincrbyfloat_message(),
        "ERR hash value is not a float"
    );
    assert_eq!(
        NanOrInfinity.hincrbyfloat_message(),
        "ERR increment would produce NaN or Infinity"
    );
    // `HINCRBYFLOAT h f inf` / `... abc` / `... 1.5`.
    assert_eq!(
        check_hincrbyfloat_increment(b"inf"),
        Err("ERR value is NaN or Infinity")
    );
    assert_eq!(
        check_hincrbyfloat_increment(b"abc"),
        Err("ERR value is not a valid float")
    );
    assert_eq!(check_hincrbyfloat_increment(b"1.5"), Ok(()));
}

#[test]
fn format_incrbyfloat_promotes_f64() {
    let text = |v: f64| {
        let mut buf = Vec::new();
        format_incrbyfloat(&mut buf, v);
        String::from_utf8(buf).unwrap()
    };
    // %.17Lf of the f64 nearest 0.1 is 0.10000000000000001 (17 decimals).
    assert_eq!(text(0.1), "0.10000000000000001");
    assert_eq!(text(3.0), "3");
    assert_eq!(text(-0.0), "0");
    assert_eq!(text(f64::INFINITY), "inf");
    assert_eq!(text(-2.5), "-2.5");
}

/// Expectations from Redis 7.0.15: `ZADD z <input> m` then `ZSCORE z m` (with
/// `zset-max-listpack-entries 0` for -0.0, whose sign the listpack loses).
#[test]
fn format_double_matches_add_reply_double() {
    let table: &[(f64, &str)] = &[
        (1.5, "1.5"),
        (0.1, "0.10000000000000001"),
        (1e300, "1.0000000000000001e+300"),
        (-0.0, "-0"),
        (0.0, "0"),
        (3.0, "3"),
        (1.0 / 3.0, "0.33333333333333331"),
        (f64::INFINITY, "inf"),
        (f64::NEG_INFINITY, "-inf"),
        (1e-310, "9.9999999999999694e-311"),
        (9007199254740993.0, "9007199254740992"),
        (1e15, "1000000000000000"),
        (1e16, "10000000000000000"),
        (1e17, "1e+17"),
        (123456789012345678.0, "1.2345678901234568e+17"),
        (-1.5e-7, "-1.4999999999999999e-07"),
        (5e-324, "4.9406564584124654e-324"),
        (f64::MAX, "1.7976931348623157e+308"),
        (100.0, "100"),
        (0.0001, "0.0001"),
        (0.00001, "1.0000000000000001e-05"),
        (-2.5, "-2.5"),
        (1e21, "1e+21"),
        (4503599627370496.0, "4503599627370496"),
        (-4503599627370496.0, "-4503599627370496"),
    ];
    for (value, expected) in table {
        let mut buf = b"x".to_vec();
        format_double(&mut buf, *value);
        assert_eq!(&buf[1..], expected.as_bytes(), "{value:e}");
    }
}

#[test]
fn strtol_is_c() {
    assert_eq!(strtol(b"1"), 1);
    assert_eq!(strtol(b"x"), 0);
    assert_eq!(strtol(b"-3z"), -3);
    assert_eq!(strtol(b" \t+12.5"), 12);
    assert_eq!(strtol(b"1e400"), 1);
    assert_eq!(strtol(b"99999999999999999999999"), i64::MAX);
    assert_eq!(strtol(b"-99999999999999999999999"), i64::MIN);
    // atoi's cast to int: LONG_MAX is -1, 2^32 + 1 is 1.
    assert_eq!(strtol(b"9223372036854775807") as i32, -1);
    assert_eq!(strtol(b"4294967297") as i32, 1);
}

#[test]
fn format_double_nan_is_glibc_text() {
    let mut buf = Vec::new();
    format_double(&mut buf, f64::NAN);
    assert!(buf == b"nan" || buf == b"-nan");
}

mod oracle_tests {
    use super::*;
    use crate::util::oracle::{self, Resp};

    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(state: &mut u64, choices: &[&'a str]) -> &'a str {
        choices[(next(state) % choices.len() as u64) as usize]
    }

    fn digits(state: &mut u64, len_max: u64) -> String {
        let len = 1 + next(state) % len_max;
        (0..len)
            .map(|_| (b'0' + (next(state) % 10) as u8) as char)
            .collect()
    }

    /// Float-like text: mostly well-formed decimals, some hex, specials and garbage.
    fn float_text(state: &mut u64) -> Vec<u8> {
        match next(state) % 10 {
            0 => pick(
                state,
                &[
                    "inf", "-inf", "nan", "", " 1", "1 ", "0x1p-3", "1e", "-0", "+.5",
                ],
            )
            .into(),
            1 => (0..next(state) % 4).map(|_| next(state) as u8).collect(),
            2 => format!(
                "{}e{}{}",
                digits(state, 3),
                pick(state, &["", "-", "+"]),
                next(state) % 400
            )
            .into(),
            3 => format!("0x{:x}p{}", next(state) % 4096, next(state) % 80).into(),
            _ => {
                let sign = pick(state, &["", "-", "", "+"]);
                let int = digits(state, 20);
                let frac = digits(state, 20);
                format!("{sign}{int}.{frac}").into()
            }
        }
    }

    fn error_text(reply: Resp) -> Result<Vec<u8>, String> {
        match reply {
            Resp::Bulk(Some(text)) => Ok(text),
            Resp::Error(text) => Err(text),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn floats_match_redis_server() {
        let Some(mut redis) = oracle::connect() else {
            return;
        };
        let seed = std::env::var("SHOAL_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(7);
        eprintln!("seed {seed} (set SHOAL_TEST_SEED to replay)");
        let mut state = seed;
        redis.call(&[b"CONFIG", b"SET", b"zset-max-listpack-entries", b"0"]);
        for round in 0..5_000 {
            let (current, incr) = (float_text(&mut state), float_text(&mut state));
            let context = format!(
                "seed {seed} round {round}: {:?} {:?}",
                current.escape_ascii().to_string(),
                incr.escape_ascii().to_string()
            );

            redis.call(&[b"SET", b"shoal:f", &current]);
            let expected = error_text(redis.call(&[b"INCRBYFLOAT", b"shoal:f", &incr]));
            let got =
                incr_by_float(&current, &incr).map_err(|e| e.incrbyfloat_message().to_string());
            assert_eq!(got, expected, "INCRBYFLOAT {context}");

            redis.call(&[b"DEL", b"shoal:z", b"shoal:h"]);
            let zadd_flag = ["nx", "xx", "gt", "lt", "ch", "incr"]
                .iter()
                .any(|flag| incr.eq_ignore_ascii_case(flag.as_bytes()));
            if zadd_flag {
                continue; // ZADD would take it as an option, not a score
            }
            let added = redis.call(&[b"ZADD", b"shoal:z", &incr, b"m"]);
            match parse_f64(&incr) {
                Some(score) => {
                    assert_eq!(added, Resp::Int(1), "ZADD {context}");
                    let mut text = Vec::new();
                    format_double(&mut text, score);
                    assert_eq!(
                        redis.call(&[b"ZSCORE", b"shoal:z", b"m"]),
                        Resp::Bulk(Some(text)),
                        "ZSCORE {context}"
                    );
                }
                None => assert_eq!(
                    added,
                    Resp::Error(errors::NOT_FLOAT.into()),
                    "ZADD {context}"
                ),
            }

            let counted = redis.call(&[b"ZCOUNT", b"shoal:z", b"-inf", &incr]);
            let bound = incr.strip_prefix(b"(").unwrap_or(&incr);
            if parse_f64_lenient(bound).is_none() {
                assert_eq!(
                    counted,
                    Resp::Error("ERR min or max is not a float".into()),
                    "ZCOUNT {context}"
                );
            } else {
                assert!(
                    matches!(counted, Resp::Int(_)),
                    "ZCOUNT {context}: {counted:?}"
                );
            }

            redis.call(&[b"HSET", b"shoal:h", b"f", &current]);
            let expected = error_text(redis.call(&[b"HINCRBYFLOAT", b"shoal:h", b"f", &incr]));
            let got = check_hincrbyfloat_increment(&incr)
                .and_then(|()| {
                    incr_by_float(&current, &incr).map_err(IncrFloatError::hincrbyfloat_message)
                })
                .map_err(str::to_string);
            assert_eq!(got, expected, "HINCRBYFLOAT {context}");
        }
        redis.call(&[b"CONFIG", b"SET", b"zset-max-listpack-entries", b"128"]);
    }
}
