// What every benchmark turn is: a question, one streamed calculator call, then
// a streamed answer of about 250 characters. Shared by the fake provider and
// the load generator, which checks every turn against it.
export const BENCH_QUESTION = 'what is 20000 / 33.3?'
export const BENCH_TOOL_ARGUMENTS = '{"expression":"20000 / 33.3"}'
export const BENCH_ANSWER =
  'Here you go 🧮 20000 divided by 33.3 is about 600.6006, so you get a little over six hundred. ' +
  'If you split 20000 DFI into parts of 33.3 each, that makes 600 whole parts with some left over. ' +
  'Anything else you would like me to work out for you today? 🌊'
