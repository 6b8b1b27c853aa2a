// The framework's floor: the smallest App Router app (one layout, one page, one route handler), built
// with the same next and react as next-mwoauth, so the bench can subtract what Next itself costs.
export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
