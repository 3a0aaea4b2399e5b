/** The one thing the tracker stores on a device: the opt-out flag, under this localStorage key (the cookie declaration names it). */
export const OPT_OUT_KEY = 'cairn_optout'
