// Client for the mock Kafka broker's control channel (infra/mock-kafka):
// a loopback TCP line protocol, one command per line, one reply line
// `ok ...` or `err <CODE> <message>`. Every call opens its own connection,
// so a client object holds no socket and needs no cleanup.
import net from 'node:net';

/** Kafka ApiKeys accepted by name by the mock (numbers work too). */
export type ApiKeyName =
  | 'Produce'
  | 'Fetch'
  | 'ListOffsets'
  | 'Metadata'
  | 'OffsetCommit'
  | 'OffsetFetch'
  | 'FindCoordinator'
  | 'JoinGroup'
  | 'Heartbeat'
  | 'LeaveGroup'
  | 'SyncGroup'
  | 'ApiVersions'
  | 'InitProducerId'
  | 'AddPartitionsToTxn'
  | 'AddOffsetsToTxn'
  | 'EndTxn'
  | 'TxnOffsetCommit';

/**
 * Kafka error codes, by librdkafka name without the RD_KAFKA_RESP_ERR_ prefix
 * (e.g. 'NOT_LEADER_FOR_PARTITION', 'REQUEST_TIMED_OUT') or by number.
 */
export type KafkaErrorCode = string | number;

export type ControlReply = { ok: true; data: string } | { ok: false; code: string; message: string };

export class MockKafkaControlError extends Error {
  constructor(
    readonly command: string,
    readonly code: string,
    message: string,
  ) {
    super(`mock kafka control: '${command}' failed: ${code} ${message}`);
    this.name = 'MockKafkaControlError';
  }
}

const MAX_REPLY_BYTES = 64 * 1024;

/** Parses one reply line (without the newline). */
export function parseControlReply(line: string): ControlReply {
  if (line === 'ok' || line.startsWith('ok ')) return { ok: true, data: line.slice(3) };
  if (line.startsWith('err ')) {
    const rest = line.slice(4);
    const space = rest.indexOf(' ');
    return space < 0
      ? { ok: false, code: rest, message: '' }
      : { ok: false, code: rest.slice(0, space), message: rest.slice(space + 1) };
  }
  return { ok: false, code: 'PROTOCOL', message: `unexpected reply: ${line}` };
}

// Arguments are whitespace-separated on the wire; a space or newline inside one
// would silently turn into extra arguments or a second command.
function arg(value: string | number): string {
  const s = String(value);
  if (s.length === 0 || /\s/.test(s)) throw new TypeError(`invalid control argument: ${JSON.stringify(s)}`);
  return s;
}

export class MockKafkaControl {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly timeoutMs = 5_000,
  ) {}

  /** From "host:port", as in KAFKA_MOCK_CONTROL. */
  static fromAddress(address: string, timeoutMs?: number): MockKafkaControl {
    const i = address.lastIndexOf(':');
    const port = Number(address.slice(i + 1));
    if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new TypeError(`invalid mock control address: ${address}`);
    }
    return new MockKafkaControl(address.slice(0, i), port, timeoutMs);
  }

  /** Sends one raw command line and returns the parsed reply; never throws on `err` replies. */
  send(line: string): Promise<ControlReply> {
    if (line.includes('\n') || line.includes('\r')) {
      return Promise.reject(new TypeError('a control command must be a single line'));
    }
    return new Promise<ControlReply>((resolve, reject) => {
      let buffer = '';
      let settled = false;
      const socket = net.connect({ host: this.host, port: this.port });
      const finish = (error: Error | undefined, reply?: ControlReply): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error) reject(error);
        else if (reply) resolve(reply);
      };
      const timer = setTimeout(
        () => finish(new Error(`mock kafka control: no reply to '${line}' within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      socket.setEncoding('utf8');
      socket.on('connect', () => socket.write(`${line}\n`));
      socket.on('data', (chunk: string) => {
        buffer += chunk;
        const nl = buffer.indexOf('\n');
        if (nl >= 0) finish(undefined, parseControlReply(buffer.slice(0, nl).replace(/\r$/, '')));
        else if (buffer.length > MAX_REPLY_BYTES) finish(new Error('mock kafka control: reply too long'));
      });
      socket.on('error', (err) => finish(new Error(`mock kafka control at ${this.host}:${this.port}: ${err.message}`)));
      socket.on('close', () => finish(new Error(`mock kafka control: connection closed before replying to '${line}'`)));
    });
  }

  /** Sends a command and returns the reply payload after `ok`; throws MockKafkaControlError on `err`. */
  async command(...parts: (string | number)[]): Promise<string> {
    const line = parts.map(arg).join(' ');
    const reply = await this.send(line);
    if (!reply.ok) throw new MockKafkaControlError(line, reply.code, reply.message);
    return reply.data;
  }

  async ping(): Promise<void> {
    const data = await this.command('ping');
    if (data !== 'pong') throw new Error(`mock kafka control: unexpected ping reply '${data}'`);
  }

  /** Broker ids (1..N). */
  async brokers(): Promise<number[]> {
    const data = await this.command('brokers');
    return data.split(' ').filter(Boolean).map(Number);
  }

  /** The bootstrap servers as "host:port,host:port,...". */
  bootstraps(): Promise<string> {
    return this.command('bootstraps');
  }

  /** Creates a topic; partitions/replication default to the mock's --partitions/--replication. */
  async topicCreate(name: string, partitions?: number, replication?: number): Promise<void> {
    const parts: (string | number)[] = ['topic_create', name];
    if (partitions !== undefined) parts.push(partitions);
    if (replication !== undefined) {
      if (partitions === undefined) throw new TypeError('replication requires partitions');
      parts.push(replication);
    }
    await this.command(...parts);
  }

  async topicDelete(name: string): Promise<void> {
    await this.command('topic_delete', name);
  }

  /** Closes the broker's connections and listener (same port is kept for broker_up). */
  async brokerDown(id: number): Promise<void> {
    await this.command('broker_down', id);
  }

  async brokerUp(id: number): Promise<void> {
    await this.command('broker_up', id);
  }

  /** Adds a round-trip delay to every response of a broker (0 to clear). */
  async brokerRtt(id: number, ms: number): Promise<void> {
    await this.command('broker_rtt', id, ms);
  }

  /**
   * Makes the next `errors.length` requests with this ApiKey (to any broker)
   * fail with these error codes, in order.
   */
  async requestErrors(apiKey: ApiKeyName | number, errors: readonly KafkaErrorCode[]): Promise<void> {
    if (errors.length === 0) throw new TypeError('requestErrors needs at least one error code');
    await this.command('request_errors', apiKey, ...errors);
  }

  async clearRequestErrors(apiKey: ApiKeyName | number): Promise<void> {
    await this.command('clear_request_errors', apiKey);
  }

  /**
   * Moves a partition's leadership (broker -1: no leader). Note: on an unknown
   * topic the mock auto-creates it with partition+1 partitions.
   */
  async partitionLeader(topic: string, partition: number, broker: number): Promise<void> {
    await this.command('partition_leader', topic, partition, broker);
  }

  /** Pins the coordinator for a consumer group or transactional id to a broker. */
  async coordinator(type: 'group' | 'transaction', key: string, broker: number): Promise<void> {
    await this.command('coordinator', type, key, broker);
  }

  /** Stops the mock broker process. */
  async shutdown(): Promise<void> {
    await this.command('shutdown');
  }
}
