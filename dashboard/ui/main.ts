/** The dashboard bundle's entry: defines every element; index.html holds a single <cairn-app>. */
import './cairn-app.ts'
