/** Types of the browser assets the API embeds as text at build time (`import … with { type: "text" }`). */
declare module "swagger-ui-dist/swagger-ui.css" {
  const text: string;
  export default text;
}
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const text: string;
  export default text;
}
declare module "echarts/dist/echarts.common.min.js" {
  const text: string;
  export default text;
}
declare module "*/ui/dashboard.js" {
  const text: string;
  export default text;
}
declare module "*/ui/dashboard.css" {
  const text: string;
  export default text;
}
