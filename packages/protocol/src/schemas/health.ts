/** Wire schemas of the public health routes. */
import Type, { type Static } from 'typebox';

export const Liveness = Type.Object({ status: Type.Literal('ok') });
export type Liveness = Static<typeof Liveness>;
export const Readiness = Type.Object({ status: Type.Literal('ready') });
export type Readiness = Static<typeof Readiness>;
