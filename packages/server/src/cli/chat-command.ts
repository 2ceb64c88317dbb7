import { createInterface, type Interface } from 'node:readline';
import { MULTITASK_STRATEGIES, type Agentd, type MultitaskStrategy, type RunEvent, type Session } from '@agentd/sdk';
import { Option, type Command } from 'commander';
import { UsageError } from './cli-errors.ts';
import { clientAction } from './client-action.ts';
import { addConnectionOptions } from './client-config.ts';
import { LLM_BOOKKEEPING } from './event-output.ts';
import { contentLine } from './sessions-command.ts';

const EXAMPLES = `
Type a message and press Enter: the reply streams as it arrives. Lines starting with / are
commands: /exit (or Ctrl-D) leaves the session as it is (come back with --session), /end ends it,
/history shows it, /session prints its id. When the run asks for an approval, answer y or n.

For an LLM agent a message is the text as typed; the model gets the session's earlier turns.
For a worker agent a message is the endpoint's input: a line of JSON is sent as it is; other text
goes into the input's one string field (found from the input schema, or named with --field).

Examples:
  $ agentd chat assistant                     a new session with an LLM agent (examples/assistant)
  $ agentd chat hello                         a new session with hello (its one endpoint)
  $ agentd chat hello --session ses_123       go on with a session
  $ agentd chat support --endpoint answer --field question`;

interface ChatFlags {
  endpoint?: string;
  session?: string;
  field?: string;
  multitask?: MultitaskStrategy;
}

/** How a typed line becomes a message's content, from the endpoint's input schema. */
export function contentFor(line: string, schema: unknown, field: string | undefined): unknown {
  if (field) return { [field]: line };
  const s = (schema ?? {}) as { type?: string; properties?: Record<string, { type?: string }>; required?: string[] };
  if (s.type === 'string' || schema === undefined || schema === null) return line;
  const trimmed = line.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      // not JSON: text for the string field below
    }
  }
  const strings = Object.entries(s.properties ?? {}).filter(([, p]) => p.type === 'string').map(([k]) => k);
  const required = (s.required ?? []).filter((k) => strings.includes(k));
  const one = required.length === 1 ? required[0] : strings.length === 1 ? strings[0] : undefined;
  return one ? { [one]: line } : line;
}

/** A reply's text: a string as it is; an object with one string field by that field; else JSON. */
export function replyText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output !== null && typeof output === 'object' && !Array.isArray(output)) {
    const o = output as Record<string, unknown>;
    for (const k of ['text', 'answer', 'content']) if (typeof o[k] === 'string') return o[k];
    const strings = Object.values(o).filter((v) => typeof v === 'string');
    if (strings.length === 1 && Object.keys(o).length === 1) return strings[0] as string;
  }
  return JSON.stringify(output);
}

class Chat {
  readonly #client: Agentd;
  readonly #session: Session;
  readonly #schema: unknown;
  readonly #flags: ChatFlags;
  readonly #rl: Interface;
  readonly #write: (s: string) => void;

  constructor(client: Agentd, session: Session, schema: unknown, flags: ChatFlags, rl: Interface) {
    this.#client = client;
    this.#session = session;
    this.#schema = schema;
    this.#flags = flags;
    this.#rl = rl;
    this.#write = (s) => process.stdout.write(s);
  }

  /** Handles one typed line; answers false to leave. */
  async line(raw: string): Promise<boolean> {
    const line = raw.trim();
    if (line === '') return true;
    if (line === '/exit' || line === '/quit') return false;
    if (line === '/session') return this.#say(this.#session.id);
    if (line === '/end') {
      await this.#client.sessions.end(this.#session.id);
      this.#say(`session ${this.#session.id} ended`);
      return false;
    }
    if (line === '/history') {
      for await (const m of this.#client.sessions.messages(this.#session.id)) this.#say(`${String(m.seq).padStart(3)} ${m.role.padEnd(9)} ${contentLine(m.content, 100)}`);
      return true;
    }
    await this.#send(contentFor(line, this.#schema, this.#flags.field));
    return true;
  }

  #say(text: string): true {
    this.#write(`${text}\n`);
    return true;
  }

  async #send(content: unknown): Promise<void> {
    const msg = this.#client.sessions.send(this.#session.id, content, { multitask: this.#flags.multitask });
    let streaming = false;
    let streamed = false;
    for await (const event of msg) {
      if (LLM_BOOKKEEPING.has(event.type)) continue;
      if (event.type === 'run.output.delta') {
        if (!streaming) this.#write('agent> ');
        streaming = true;
        streamed = true;
        const data = event.data as { delta?: unknown; text?: unknown };
        const delta = data.delta ?? data.text; // a worker's {delta}, an LLM agent's {text}
        this.#write(typeof delta === 'string' ? delta : JSON.stringify(delta));
        continue;
      }
      if (streaming && event.type !== 'run.succeeded') {
        this.#write('\n');
        streaming = false;
      }
      await this.#show(event);
    }
    const reply = await msg.finalReply();
    if (reply.status === 'succeeded') {
      if (streaming) this.#write('\n');
      // Streamed already (an LLM answer, a worker's deltas): not printed twice.
      else if (!streamed) this.#say(`agent> ${replyText(reply.output)}`);
    } else this.#say(`(${reply.status}${reply.error ? `: ${reply.error.message}` : ''})`);
  }

  /** What the run does besides its text: logs, tool calls, approvals (answered here). */
  async #show(event: RunEvent): Promise<void> {
    const data = event.data as Record<string, unknown>;
    if (event.type === 'run.log') this.#say(`  · ${String(data.message ?? '')}`);
    else if (event.type === 'run.tool_call') this.#say(`  ⚙ ${String(data.tool)}(${contentLine(data.args ?? {}, 100)})`);
    else if (event.type === 'run.tool_result') this.#say(`  ← ${String(data.tool)}: ${contentLine(data.ok ? data.output : data.error, 100)}`);
    else if (event.type.includes('tool')) this.#say(`  ⚙ ${event.type} ${contentLine(data, 100)}`);
    else if (event.type === 'run.retrying') this.#say('  ↻ retrying');
    else if (event.type === 'approval.requested') await this.#approve(String(data.approval_id), String(data.prompt ?? 'approve?'));
  }

  async #approve(id: string, prompt: string): Promise<void> {
    const answer = await new Promise<string>((resolve) => this.#rl.question(`  ? ${prompt} [y/n] `, resolve));
    if (/^y(es)?$/i.test(answer.trim())) {
      await this.#client.approvals.approve(id, { comment: 'approved in agentd chat' });
      this.#say('  ✓ approved');
    } else {
      await this.#client.approvals.reject(id, { reason: answer.trim() && !/^no?$/i.test(answer.trim()) ? answer.trim() : 'rejected in agentd chat' });
      this.#say('  ✗ rejected');
    }
  }
}

/** `agentd chat <agent>`: an interactive chat on a new or given session, replies streamed. */
export function registerChatCommand(program: Command): void {
  addConnectionOptions(program.command('chat <agent>').description('talk with an agent in the terminal: a session whose replies stream as they arrive'))
    .option('--endpoint <name>', 'the endpoint messages run (default: the agent\'s only one)')
    .option('--session <id>', 'go on with this session instead of starting one')
    .option('--field <name>', 'send each line as {"<name>": line} (a worker agent\'s input)')
    .addOption(new Option('--multitask <strategy>', 'what a message does while another is in flight').choices(MULTITASK_STRATEGIES))
    .addHelpText('after', EXAMPLES)
    .action(
      clientAction<ChatFlags, [string]>(async ({ client, options }, agentName) => {
        const session = options.session ? await client.sessions.retrieve(options.session) : await client.sessions.create({ agent: agentName, ...(options.endpoint ? { endpoint: options.endpoint } : {}) });
        if (session.status === 'ended') throw new UsageError(`session ${session.id} ended${session.end_reason ? ` (${session.end_reason})` : ''}; start a new one with: agentd chat ${session.agent}`);
        const agent = await client.agents.retrieve(session.agent);
        // An LLM agent's message is the typed text as it is (the server makes it the chat input).
        const schema = agent.runtime === 'llm' ? { type: 'string' } : (agent.endpoints as Record<string, { input?: unknown }>)[session.endpoint]?.input;
        const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY === true, prompt: 'you> ' });
        const chat = new Chat(client, session, schema, options, rl);
        process.stdout.write(`session ${session.id} with ${session.agent}/${session.endpoint} (/exit to leave, /end to end it)\n`);
        // One line at a time: a line typed while a reply streams is sent after it.
        // At the end of piped input the reader closes while lines are still being handled: they finish first.
        let chain = Promise.resolve(true);
        let failed: unknown = null;
        let closed = false;
        await new Promise<void>((done) => {
          rl.on('line', (line) => {
            chain = chain.then(async (go) => {
              if (!go) return false;
              try {
                const more = await chat.line(line);
                if (!more) rl.close();
                else if (!closed) rl.prompt();
                return more;
              } catch (err) {
                failed = err;
                rl.close();
                return false;
              }
            });
          });
          rl.on('close', () => {
            closed = true;
            void chain.then(() => done());
          });
          rl.prompt();
        });
        // The reader is closed but stdin (a pipe or a terminal) would still hold the process open.
        process.stdin.destroy();
        if (failed) throw failed;
        process.stdout.write(`\nleft session ${session.id}; come back with: agentd chat ${session.agent} --session ${session.id}\n`);
      }),
    );
}
