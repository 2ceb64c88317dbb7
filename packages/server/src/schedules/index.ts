/** The public face of schedules/: other folders import from here only. */
export { CronCache } from './cron-spec.ts';
export { MISSED_RUN_ALL_LIMIT } from './schedule-plan.ts';
export { scheduleRoutes } from './schedule-routes.ts';
export { ScheduleFiring } from './schedule-firing.ts';
export { ScheduleService } from './schedule-service.ts';
export { SCHEDULE_LOOP, ScheduleTicker } from './schedule-ticker.ts';
export type { TickResult } from './schedule-ticker.ts';
