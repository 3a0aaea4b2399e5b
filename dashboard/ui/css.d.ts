/** esbuild's text loader turns a CSS import into its text (uPlot's stylesheet goes into a shadow root). */
declare module '*.css' {
  const text: string
  export default text
}
