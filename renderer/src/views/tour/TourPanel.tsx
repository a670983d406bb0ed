/** The guided tour: Build → Inspect → Boot → Console → Use with minikube. */
export function TourPanel() {
  return null;
}
