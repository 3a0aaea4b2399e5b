/** The one thing the tracker stores on a device: the opt-out flag (tracker/src/send.ts writes it). */
export const OPT_OUT_KEY = 'cairn_optout'
