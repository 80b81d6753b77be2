import { DEFAULT_PLANS, PLAN_NAMES, type PlanDefinition, type PlanName } from '../../config.js';
import { badInput, DomainError } from '../../shared/errors.js';
import type { Viewer } from '../auth/viewer.js';

/**
 * Plans and what they allow. The operator's definitions (PULSE_PLANS) are installed once at
 * start, so any module can ask `requireFeature(viewer, 'workflows')` without carrying the config.
 */

let installed: Readonly<Record<PlanName, PlanDefinition>> = DEFAULT_PLANS;

export function installPlans(plans: Readonly<Record<PlanName, PlanDefinition>>): void {
  installed = plans;
}

export function planNamed(name: string): PlanDefinition {
  if (!PLAN_NAMES.includes(name as PlanName)) throw badInput('plan', `plan must be one of ${PLAN_NAMES.join(', ')}`);
  return installed[name as PlanName];
}

/** The plan an organisation is on; an unknown stored name counts as FREE. */
export const planOf = (name: string): PlanDefinition => installed[(PLAN_NAMES.includes(name as PlanName) ? name : 'FREE') as PlanName];

export const hasFeature = (viewer: Viewer, feature: string): boolean => planOf(viewer.plan).features.includes(feature);

/** PLAN_LIMIT naming the feature when the organisation's plan does not include it. */
export function requireFeature(viewer: Viewer, feature: string): void {
  if (!hasFeature(viewer, feature)) {
    throw new DomainError('PLAN_LIMIT', `The ${viewer.plan} plan does not include ${feature}; upgrade to use it`, { limit: feature, plan: viewer.plan });
  }
}

/** PLAN_LIMIT naming the limit when `value` passes the plan's limit `name`. */
export function assertWithinLimit(plan: string, name: string, value: number, allowed?: number): void {
  const max = allowed ?? planOf(plan).limits[name];
  if (max !== undefined && value > max) {
    throw new DomainError('PLAN_LIMIT', `The ${plan} plan allows at most ${max} ${name}`, { limit: name, max, plan });
  }
}

/** A plan as the API shows it. */
export interface PlanView extends PlanDefinition {
  readonly name: PlanName;
}

export const planView = (name: string): PlanView => ({ name: (PLAN_NAMES.includes(name as PlanName) ? name : 'FREE') as PlanName, ...planOf(name) });
