#!/usr/bin/env node
// Independent OCPP 1.6J charge point used by Chargeway's test suite.
//
// It wraps the npm package `ocpp-rpc` (RPCClient) in strictMode, which
// validates against the OCPP 1.6 JSON schemas every CALL it sends or receives
// and every CALLRESULT it receives. The test process drives it through a line
// protocol: one JSON object per line on stdin (commands) and on stdout
// (events). Diagnostics go to stderr. See tests/support/ocpp_rpc.py.
//
// Usage:
//   node client.mjs --url ws://127.0.0.1:PORT/ocpp --id CP_ID [--password P]
//                   [--ping-interval-ms N] [--call-timeout-ms N] [--verbose]
//
// The websocket URL is `${url}/${encodeURIComponent(id)}` (ocpp-rpc appends
// the identity). The only subprotocol offered is 'ocpp1.6'.
//
// Commands (stdin), `id` is optional and echoed back in the answer:
//   {"cmd":"call","id":1,"action":"BootNotification","params":{...},"timeout_ms":10000}
//       -> {"event":"result","id":1,"action":...,"response":{...}}
//       -> {"event":"error","id":1,"action":...,"code":...,"message":...,
//           "error_class":...,"details":...,"strict_violation":bool}
//   {"cmd":"set_reply","id":2,"action":"RemoteStartTransaction","response":{...}}
//   {"cmd":"set_reply","id":2,"action":"Reset","error":{"code":"NotSupported","message":"..."}}
//   {"cmd":"reset_reply","id":3,"action":"Reset"}        (back to the default reply)
//       -> {"event":"ack","id":...,"cmd":...}
//   {"cmd":"close","id":4}  -> closes the websocket (code 1000), emits "close", exits 0
//
// Events (stdout):
//   open, close, connect_error, received, result, error, ack,
//   strict_violation     - a message FROM THE SERVER failed OCPP 1.6 schema
//                          validation (an inbound CALL or an inbound CALLRESULT)
//   local_violation      - a message this client was asked to send failed
//                          validation (a bug in the test, not in the server)
//   bad_message          - the server sent a frame that is not valid OCPP-J RPC
//                          (not JSON, wrong shape, CALLRESULT for an unknown id...)
//   socket_error, command_error, fatal

import { createRequire } from 'node:module';
import readline from 'node:readline';
import rpc from 'ocpp-rpc';

const require = createRequire(import.meta.url);
const { RPCClient, createRPCError } = rpc;
const OCPP_RPC_VERSION = require('ocpp-rpc/package.json').version;

// ---------------------------------------------------------------- output ---

function safeJson(value) {
    // JSON.stringify that survives BigInt, Buffers, Errors and cycles (shared,
    // non-circular references are serialised normally).
    const ancestors = [];
    return JSON.stringify(value, function (key, val) {
        if (typeof val === 'bigint') return val.toString();
        if (val && typeof val === 'object' && val.type === 'Buffer' && Array.isArray(val.data)) {
            return Buffer.from(val.data).toString('utf8');
        }
        if (val instanceof Error) {
            return { error_class: errorClass(val), message: val.message };
        }
        if (typeof val !== 'object' || val === null) return val;
        while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
        if (ancestors.includes(val)) return '[Circular]';
        ancestors.push(val);
        return val;
    });
}

function emit(event) {
    // process.stdout is synchronous for pipes and files on Linux.
    process.stdout.write(safeJson(event) + '\n');
}

let verbose = false;
function log(...args) {
    process.stderr.write(`[ocpp-rpc-client ${new Date().toISOString()}] ${args.join(' ')}\n`);
}
function debug(...args) {
    if (verbose) log(...args);
}

function errorClass(err) {
    if (!err) return null;
    return (err.constructor && err.constructor.name) || err.name || 'Error';
}

function errorInfo(err) {
    return {
        code: err?.rpcErrorCode ?? null,
        message: err?.message ?? String(err),
        error_class: errorClass(err),
        details: err?.details ?? null,
    };
}

let exiting = false;
function exit(code) {
    if (exiting) return;
    exiting = true;
    // let stdout drain (it is synchronous for pipes, but be safe for TTYs)
    process.stdout.write('', () => process.exit(code));
    setTimeout(() => process.exit(code), 500).unref();
}

// Nobody reads our stdout any more (the test process died): nothing left to do.
process.stdout.on('error', (err) => {
    log(`stdout error (${err?.code ?? err?.message}); exiting`);
    process.exit(exiting ? 0 : 3);
});

process.on('uncaughtException', (err) => {
    emit({ event: 'fatal', kind: 'uncaughtException', ...errorInfo(err), stack: err?.stack ?? null });
    exit(2);
});
process.on('unhandledRejection', (err) => {
    emit({ event: 'fatal', kind: 'unhandledRejection', ...errorInfo(err), stack: err?.stack ?? null });
    exit(2);
});

// ------------------------------------------------------------------ args ---

function parseArgs(argv) {
    const out = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (!a.startsWith('--')) throw new Error(`unexpected argument: ${a}`);
        let key = a.slice(2);
        let value;
        const eq = key.indexOf('=');
        if (eq >= 0) {
            value = key.slice(eq + 1);
            key = key.slice(0, eq);
        } else if (key === 'verbose') {
            value = true;
        } else {
            if (i + 1 >= argv.length) throw new Error(`missing value for --${key}`);
            value = argv[++i];
        }
        out[key] = value;
    }
    return out;
}

let args;
try {
    args = parseArgs(process.argv.slice(2));
    if (!args.url) throw new Error('--url is required');
    if (!args.id) throw new Error('--id is required');
    for (const k of Object.keys(args)) {
        if (!['url', 'id', 'password', 'ping-interval-ms', 'call-timeout-ms', 'verbose'].includes(k)) {
            throw new Error(`unknown option --${k}`);
        }
    }
} catch (err) {
    emit({ event: 'fatal', kind: 'usage', ...errorInfo(err) });
    log(`usage: node client.mjs --url ws://HOST:PORT/PATH --id CP_ID [--password P] ` +
        `[--ping-interval-ms N] [--call-timeout-ms N] [--verbose]`);
    process.exit(64);
}
verbose = !!args.verbose || !!process.env.OCPP_RPC_CLIENT_VERBOSE;

// ------------------------------------------------------- default replies ---

// Replies to server-initiated (Central System -> Charge Point) OCPP 1.6 calls.
// Each is valid against the corresponding *.conf schema (checked at start-up).
const DEFAULT_REPLIES = {
    RemoteStartTransaction: { status: 'Accepted' },
    RemoteStopTransaction: { status: 'Accepted' },
    UnlockConnector: { status: 'Unlocked' },
    ReserveNow: { status: 'Accepted' },
    CancelReservation: { status: 'Accepted' },
    Reset: { status: 'Accepted' },
    ChangeAvailability: { status: 'Accepted' },
    GetConfiguration: { configurationKey: [], unknownKey: [] },
    ChangeConfiguration: { status: 'Accepted' },
    ClearCache: { status: 'Accepted' },
    TriggerMessage: { status: 'Accepted' },
    DataTransfer: { status: 'Accepted' },
    GetDiagnostics: {},
    UpdateFirmware: {},
    GetLocalListVersion: { listVersion: 0 },
    SendLocalList: { status: 'Accepted' },
    SetChargingProfile: { status: 'Accepted' },
    ClearChargingProfile: { status: 'Accepted' },
    GetCompositeSchedule: { status: 'Rejected' },
};

// action -> {response} | {error: {code, message, details}}
const replies = new Map();

function replyFor(action) {
    if (replies.has(action)) return replies.get(action);
    if (Object.prototype.hasOwnProperty.call(DEFAULT_REPLIES, action)) {
        return { response: structuredClone(DEFAULT_REPLIES[action]) };
    }
    return null;
}

// ---------------------------------------------------------------- client ---

const client = new RPCClient({
    endpoint: args.url,
    identity: args.id,
    password: args.password ?? null,
    protocols: ['ocpp1.6'],
    strictMode: true,
    // A test client must not silently reconnect: a dropped connection is an
    // observable event for the test ("close"), after which this process exits.
    reconnect: false,
    callTimeoutMs: args['call-timeout-ms'] ? Number(args['call-timeout-ms']) : 30000,
    ...(args['ping-interval-ms'] !== undefined ? { pingIntervalMs: Number(args['ping-interval-ms']) } : {}),
});

client.on('strictValidationFailure', (ev) => {
    const { error } = ev;
    // Tag the very error object: ocpp-rpc rejects the pending call with it
    // (inbound CALLRESULT) or throws it (outbound CALL), so the call's error
    // event can say it was a strict-mode failure.
    if (error && typeof error === 'object') {
        error.__strictViolation = ev.outbound ? 'local' : 'server';
    }
    const out = {
        event: ev.outbound ? 'local_violation' : 'strict_violation',
        direction: ev.outbound ? 'outbound' : 'inbound',
        message_kind: ev.isCall ? 'call' : 'callresult',
        action: ev.method,
        message_id: ev.messageId,
        params: ev.params ?? null,
        result: ev.result ?? null,
        code: error?.rpcErrorCode ?? null,
        error_class: errorClass(error),
        message: error?.message ?? String(error),
        errors: error?.details?.errors ?? null,
    };
    log(`${out.event}: ${out.message_kind} ${out.action}: ${out.message}`);
    emit(out);
});

client.on('badMessage', ({ buffer, error, response }) => {
    const raw = Buffer.isBuffer(buffer) ? buffer.toString('utf8') : String(buffer);
    log(`bad_message: ${error?.message}: ${raw}`);
    emit({
        event: 'bad_message',
        raw,
        code: error?.rpcErrorCode ?? null,
        error_class: errorClass(error),
        message: error?.message ?? String(error),
        details: error?.details ?? null,
        response: response ?? null,
    });
});

client.on('socketError', (err) => {
    log(`socket error: ${err?.message}`);
    emit({ event: 'socket_error', ...errorInfo(err) });
});

client.on('message', ({ message, outbound }) => {
    debug(`${outbound ? '>>' : '<<'} ${Buffer.isBuffer(message) ? message.toString('utf8') : message}`);
});

let closeEmitted = false;
client.on('close', ({ code, reason }) => {
    if (reason instanceof Buffer) reason = reason.toString('utf8');
    // (before the first open, a failed connect is reported as connect_error)
    if (opened && !closeEmitted) {
        closeEmitted = true;
        emit({ event: 'close', code: code ?? null, reason: reason ?? '' });
    }
    if (opened) exit(0);
});

// Every server-initiated call goes through here: known actions and, via the
// wildcard handler, anything else (which gets NotImplemented unless a reply
// was configured with set_reply). Note that in strictMode ocpp-rpc validates
// the params BEFORE calling the handler: a schema-invalid CALL from the server
// never reaches here; it is reported as a strict_violation instead and
// ocpp-rpc answers the server with a CALLERROR.
async function handleServerCall({ method, params, messageId }) {
    emit({ event: 'received', action: method, message_id: messageId, params: params ?? null });
    const reply = replyFor(method);
    if (!reply) {
        throw createRPCError('NotImplemented', `Unable to handle '${method}' calls`, {});
    }
    if (reply.error) {
        throw createRPCError(reply.error.code ?? 'GenericError', reply.error.message ?? '', reply.error.details ?? {});
    }
    return structuredClone(reply.response);
}

for (const action of Object.keys(DEFAULT_REPLIES)) {
    client.handle(action, handleServerCall);
}
client.handle(handleServerCall);

// -------------------------------------------------------------- commands ---

async function doCall(cmd) {
    const action = cmd.action;
    try {
        const opts = {};
        if (cmd.timeout_ms != null) opts.callTimeoutMs = Number(cmd.timeout_ms);
        const response = await client.call(action, cmd.params ?? {}, opts);
        emit({ event: 'result', id: cmd.id ?? null, action, response: response ?? null });
    } catch (err) {
        emit({
            event: 'error',
            id: cmd.id ?? null,
            action,
            ...errorInfo(err),
            strict_violation: err?.__strictViolation ?? false,
        });
    }
}

let closing = false;
async function doClose(cmd) {
    if (closing) return;
    closing = true;
    try {
        const res = await client.close({ code: cmd?.code ?? 1000, reason: cmd?.reason ?? '' });
        if (!closeEmitted && res) {
            closeEmitted = true;
            emit({ event: 'close', code: res.code ?? null, reason: res.reason ?? '' });
        }
    } catch (err) {
        log(`close failed: ${err?.message}`);
    }
    exit(0);
}

function handleCommand(line) {
    let cmd;
    try {
        cmd = JSON.parse(line);
        if (!cmd || typeof cmd !== 'object' || Array.isArray(cmd)) throw new Error('command must be a JSON object');
    } catch (err) {
        emit({ event: 'command_error', line, message: err.message });
        return;
    }
    switch (cmd.cmd) {
        case 'call':
            if (typeof cmd.action !== 'string') {
                emit({ event: 'command_error', id: cmd.id ?? null, line, message: "'action' must be a string" });
                return;
            }
            {
                const p = doCall(cmd);
                inflight.add(p);
                p.finally(() => inflight.delete(p));
            }
            return;
        case 'set_reply':
            if (typeof cmd.action !== 'string') {
                emit({ event: 'command_error', id: cmd.id ?? null, line, message: "'action' must be a string" });
                return;
            }
            if (cmd.error) {
                replies.set(cmd.action, { error: cmd.error });
            } else {
                replies.set(cmd.action, { response: cmd.response ?? {} });
            }
            emit({ event: 'ack', id: cmd.id ?? null, cmd: 'set_reply', action: cmd.action });
            return;
        case 'reset_reply':
            replies.delete(cmd.action);
            emit({ event: 'ack', id: cmd.id ?? null, cmd: 'reset_reply', action: cmd.action });
            return;
        case 'close':
            doClose(cmd);
            return;
        default:
            emit({ event: 'command_error', id: cmd.id ?? null, line, message: `unknown cmd: ${cmd.cmd}` });
    }
}

// ------------------------------------------------------------------ main ---

// Sanity check: our own default replies must satisfy the 1.6 schemas.
{
    const { createValidator } = rpc;
    const validator = createValidator('ocpp1.6', require('ocpp-rpc/lib/schemas/ocpp1_6.json'));
    for (const [action, reply] of Object.entries(DEFAULT_REPLIES)) {
        validator.validate(`urn:${action}.conf`, reply); // throws -> fatal
    }
}

let opened = false;
let stdinClosed = false;
const pendingLines = [];
const inflight = new Set();

// stdin closed (the test process went away, or input was piped): finish the
// calls already asked for, then close politely.
async function closeAfterInflight() {
    while (inflight.size) await Promise.allSettled([...inflight]);
    await doClose({ code: 1000, reason: '' });
}

const rl = readline.createInterface({ input: process.stdin, terminal: false });
rl.on('line', (line) => {
    if (!line.trim()) return;
    if (!opened) {
        pendingLines.push(line);
    } else {
        handleCommand(line);
    }
});
rl.on('close', () => {
    debug('stdin closed');
    stdinClosed = true;
    if (opened) closeAfterInflight();
    // else: wait for connect() to settle (open -> run pending lines -> close;
    // failure -> connect_error and exit 1)
});

try {
    const res = await client.connect();
    opened = true;
    const protocol = client.protocol ?? null;
    emit({
        event: 'open',
        identity: args.id,
        protocol,
        strict: protocol === 'ocpp1.6',
        ocpp_rpc_version: OCPP_RPC_VERSION,
        status: res?.response?.statusCode ?? null,
    });
    if (protocol !== 'ocpp1.6') {
        // Would silently disable strict validation.
        emit({ event: 'fatal', kind: 'protocol', message: `negotiated subprotocol is ${JSON.stringify(protocol)}, not "ocpp1.6"` });
    }
    for (const line of pendingLines.splice(0)) handleCommand(line);
    if (stdinClosed) closeAfterInflight();
} catch (err) {
    emit({
        event: 'connect_error',
        ...errorInfo(err),
        http_status: typeof err?.code === 'number' ? err.code : null,
    });
    log(`connect failed: ${err?.message}`);
    exit(1);
}
