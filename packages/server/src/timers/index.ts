/** The public face of timers/: other folders import from here only. */
export { Sweeper } from './sweeper.ts';
