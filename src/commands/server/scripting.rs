//! FUNCTION and SCRIPT, for now only FLUSH and HELP: test suites and client libraries
//! call FUNCTION FLUSH / SCRIPT FLUSH between tests, and with no scripting engine
//! there is nothing to flush. The scripting family replaces these containers.

use super::help;
use crate::commands::context::ConnCtx;
use crate::commands::{BASE, CommandSpec, Run, acl, flags};
use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;

fn is_flush_mode(arg: &[u8]) -> bool {
    arg.eq_ignore_ascii_case(b"SYNC") || arg.eq_ignore_ascii_case(b"ASYNC")
}

fn function_flush(_ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    match args.len() {
        2 => r.ok(),
        3 if is_flush_mode(&args[2]) => r.ok(),
        3 => r.error(errors::FUNCTION_FLUSH_MODE),
        _ => help::subcommand_syntax_error(r, &args[1], "FUNCTION"),
    }
}

fn function_help(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    help::reply(r, help::FUNCTION);
}

fn script_flush(_ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    match args.len() {
        2 => r.ok(),
        3 if is_flush_mode(&args[2]) => r.ok(),
        _ => r.error(errors::SCRIPT_FLUSH_MODE),
    }
}

fn script_help(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    help::reply(r, help::SCRIPT);
}

const SUB: CommandSpec = CommandSpec {
    group: "scripting",
    acl: acl::SLOW | acl::SCRIPTING,
    ..BASE
};
const HELP_SUB: CommandSpec = CommandSpec {
    name: "help",
    arity: 2,
    flags: flags::LOADING | flags::STALE,
    since: "5.0.0",
    summary: "Show helpful text about the different subcommands",
    ..SUB
};

pub const FUNCTION_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "flush",
        arity: -2,
        flags: flags::WRITE | flags::NOSCRIPT,
        acl: acl::WRITE | acl::SLOW | acl::SCRIPTING,
        since: "7.0.0",
        summary: "Deleting all functions",
        complexity: "O(N) where N is the number of functions deleted",
        run: Run::Conn(function_flush),
        ..SUB
    },
    CommandSpec {
        since: "7.0.0",
        run: Run::Conn(function_help),
        ..HELP_SUB
    },
];

pub const SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "flush",
        arity: -2,
        flags: flags::NOSCRIPT,
        since: "2.6.0",
        summary: "Remove all the scripts from the script cache.",
        complexity: "O(N) with N being the number of scripts in cache",
        run: Run::Conn(script_flush),
        ..SUB
    },
    CommandSpec {
        run: Run::Conn(script_help),
        ..HELP_SUB
    },
];

const CONTAINER: CommandSpec = CommandSpec {
    arity: -2,
    acl: acl::SLOW,
    group: "scripting",
    complexity: "Depends on subcommand.",
    run: Run::Container,
    ..BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "function",
        since: "7.0.0",
        summary: "A container for function commands",
        subcommands: FUNCTION_SUBCOMMANDS,
        ..CONTAINER
    },
    CommandSpec {
        name: "script",
        since: "2.6.0",
        summary: "A container for Lua scripts management commands",
        subcommands: SCRIPT_SUBCOMMANDS,
        ..CONTAINER
    },
];
