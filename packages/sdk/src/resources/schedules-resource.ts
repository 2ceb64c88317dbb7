import type { Run, Schedule, ScheduleCreate, ScheduleDeleted, ScheduleFire, ScheduleUpdate } from '@agentd/protocol';
import type { HttpClient } from '../core/http-client.ts';
import type { PagePromise } from '../core/page-promise.ts';
import type { RequestOptions } from '../core/request-options.ts';
import type { ListParams } from './resource-types.ts';

/** `POST /v1/schedules`: a client-chosen `id`, a cron (5–7 fields) in a time zone, and an agent endpoint target. */
export type ScheduleCreateParams = ScheduleCreate;
/** `PATCH /v1/schedules/{id}`: any of the definition's fields, or `paused`. */
export type ScheduleUpdateParams = ScheduleUpdate;
export type ScheduleListParams = ListParams;
export type ScheduleRunsParams = ListParams;

const seg = encodeURIComponent;

/** `/v1/schedules`: cron schedules that start runs of an agent endpoint. Changing them needs an admin or developer key. */
export class SchedulesResource {
  readonly #client: HttpClient;

  constructor(client: HttpClient) {
    this.#client = client;
  }

  /**
   * Creates the schedule under its own id. Sending the same id and definition again answers the
   * schedule as it is (so a retry, or a deploy script run twice, is harmless); another
   * definition under the id is `409 SCHEDULE_CONFLICT`.
   * @example
   * await client.schedules.create({ id: 'daily-report', cron: '0 9 * * 1-5', timezone: 'Europe/Berlin', target: { agent: 'reporter', endpoint: 'daily' }, input: {} });
   */
  create(params: ScheduleCreateParams, options?: RequestOptions): Promise<Schedule> {
    return this.#client.request<Schedule>({ method: 'POST', path: '/v1/schedules', body: params }, options);
  }

  /** Newest first. @example for await (const s of client.schedules.list()) console.log(s.id, s.next_fire_times[0]); */
  list(params: ScheduleListParams = {}, options?: RequestOptions): PagePromise<Schedule> {
    return this.#client.requestPage<Schedule>('/v1/schedules', { ...params }, options);
  }

  /** With its next five fire times. @example const s = await client.schedules.retrieve('daily-report'); */
  retrieve(id: string, options?: RequestOptions): Promise<Schedule> {
    return this.#client.request<Schedule>({ method: 'GET', path: `/v1/schedules/${seg(id)}` }, options);
  }

  /** A new cron or time zone starts from now. @example await client.schedules.update('daily-report', { cron: '0 8 * * 1-5' }); */
  update(id: string, params: ScheduleUpdateParams, options?: RequestOptions): Promise<Schedule> {
    return this.#client.request<Schedule>({ method: 'PATCH', path: `/v1/schedules/${seg(id)}`, body: params }, options);
  }

  /** The runs it made stay. @example await client.schedules.delete('daily-report'); */
  delete(id: string, options?: RequestOptions): Promise<ScheduleDeleted> {
    return this.#client.request<ScheduleDeleted>({ method: 'DELETE', path: `/v1/schedules/${seg(id)}` }, options);
  }

  /** No slot fires until it is resumed. @example await client.schedules.pause('daily-report'); */
  pause(id: string, options?: RequestOptions): Promise<Schedule> {
    return this.#client.request<Schedule>({ method: 'POST', path: `/v1/schedules/${seg(id)}/pause`, body: {} }, options);
  }

  /** Fires again from the next slot after now; the paused slots are not caught up. @example await client.schedules.resume('daily-report'); */
  resume(id: string, options?: RequestOptions): Promise<Schedule> {
    return this.#client.request<Schedule>({ method: 'POST', path: `/v1/schedules/${seg(id)}/resume`, body: {} }, options);
  }

  /** One run now, with the schedule's target and input. @example const run = await client.schedules.runNow('daily-report'); */
  runNow(id: string, options?: RequestOptions): Promise<Run> {
    return this.#client.request<Run>({ method: 'POST', path: `/v1/schedules/${seg(id)}/run`, body: {} }, options);
  }

  /**
   * The schedule's slots, newest first, each with its outcome (started, skipped, buffered,
   * failed) and its run.
   * @example for await (const fire of client.schedules.runs('daily-report')) console.log(fire.slot, fire.outcome, fire.run_id);
   */
  runs(id: string, params: ScheduleRunsParams = {}, options?: RequestOptions): PagePromise<ScheduleFire> {
    return this.#client.requestPage<ScheduleFire>(`/v1/schedules/${seg(id)}/runs`, { ...params }, options);
  }
}
